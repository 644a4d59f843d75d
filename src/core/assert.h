// Invariants. TRIT_ASSERT is always on (a failed one is a bug in trit, not bad input);
// TRIT_DASSERT only in debug builds, for hot paths.
#pragma once

#include <cstdio>
#include <cstdlib>

#define TRIT_ASSERT(cond)                                                              \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "trit: internal error: %s:%d: assertion failed: %s\n",      \
                   __FILE__, __LINE__, #cond);                                         \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

#ifdef NDEBUG
#define TRIT_DASSERT(cond) ((void)0)
#else
#define TRIT_DASSERT(cond) TRIT_ASSERT(cond)
#endif
