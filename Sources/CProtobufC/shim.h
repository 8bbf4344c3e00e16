/* Reaches protobuf-c's runtime (Debian: libprotobuf-c-dev) from Swift. */
#ifndef C_PROTOBUF_C_H
#define C_PROTOBUF_C_H
#include <protobuf-c/protobuf-c.h>
#endif
