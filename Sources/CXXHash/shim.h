// The system xxHash (Debian libxxhash-dev): XXH3-128 for input files, as `xxhsum -H2` gives it.
#include <stddef.h>
#include <xxhash.h>
