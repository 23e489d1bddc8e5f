#ifndef KIRA_LIBSVM_H
#define KIRA_LIBSVM_H
// Debian's libsvm-dev installs the header under libsvm/.
#include <libsvm/svm.h>
#endif
