/* Reaches zlib (Debian: zlib1g-dev) from Swift.
 *
 * deflateInit2 is a macro that passes ZLIB_VERSION and sizeof(z_stream); Swift cannot
 * call macros, so this wrapper does. It can go when Swift imports function-like macros. */
#ifndef C_ZLIB_SHIMS_H
#define C_ZLIB_SHIMS_H
#include <zlib.h>

static inline int CZlib_deflateInit2(z_streamp stream, int level, int method, int windowBits,
                                     int memLevel, int strategy) {
  return deflateInit2(stream, level, method, windowBits, memLevel, strategy);
}

static inline int CZlib_inflateInit2(z_streamp stream, int windowBits) {
  return inflateInit2(stream, windowBits);
}
#endif
