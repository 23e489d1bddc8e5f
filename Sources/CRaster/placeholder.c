#include "kira_craster.h"
int kira_craster_placeholder(void) { return 0; }
