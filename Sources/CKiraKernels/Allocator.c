#include "KiraKernels.h"
#include <malloc.h>

void kira_keep_large_blocks_in_heap(void) {
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

void kira_map_large_blocks(void) { mallopt(M_MMAP_THRESHOLD, 1 << 20); }

void kira_single_arena(void) { mallopt(M_ARENA_MAX, 1); }
