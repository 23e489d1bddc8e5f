#include "kira_copenjpeg.h"
int kira_copenjpeg_placeholder(void) { return 0; }
