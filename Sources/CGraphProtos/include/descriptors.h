/* Stable addresses of the message descriptors Swift needs.
 *
 * The descriptors are `const` globals; Swift imports them as `let` constants and may
 * pass a temporary copy where a pointer is asked for, but protobuf-c stores and compares
 * descriptor addresses. These functions return the real address. Hand-written, kept by
 * Scripts/regenerate-protos.sh. */
#ifndef C_GRAPH_PROTOS_DESCRIPTORS_H
#define C_GRAPH_PROTOS_DESCRIPTORS_H
#include "graph_transforms/wire.pb-c.h"
#include "tensorflow/core/framework/graph.pb-c.h"
#include "tensorflow/core/framework/tensor.pb-c.h"
#include "tensorflow/core/framework/op_def.pb-c.h"
#include "tensorflow/core/framework/resource_handle.pb-c.h"
#include "tensorflow/core/util/memmapped_file_system.pb-c.h"

/* The fast-path GraphDef, with opaque library, debug info and node extras. */
static inline const ProtobufCMessageDescriptor *CGraphProtos_wireGraphDef(void) {
  return &graph_transforms__wire__graph_def__descriptor;
}
static inline const ProtobufCMessageDescriptor *CGraphProtos_wireNodeDef(void) {
  return &graph_transforms__wire__node_def__descriptor;
}
/* The full schema, which the text format walks. */
static inline const ProtobufCMessageDescriptor *CGraphProtos_graphDef(void) {
  return &tensorflow__graph_def__descriptor;
}
static inline const ProtobufCMessageDescriptor *CGraphProtos_resourceHandle(void) {
  return &tensorflow__resource_handle_proto__descriptor;
}
static inline const ProtobufCMessageDescriptor *CGraphProtos_variantTensorData(void) {
  return &tensorflow__variant_tensor_data_proto__descriptor;
}
/* Function signatures in a graph's library, checked before protobuf-c unpacks them. */
static inline const ProtobufCMessageDescriptor *CGraphProtos_opDef(void) {
  return &tensorflow__op_def__descriptor;
}
static inline const ProtobufCMessageDescriptor *CGraphProtos_memmappedDirectory(void) {
  return &tensorflow__memmapped_file_system_directory__descriptor;
}
#endif
