/* Umbrella header of the CGraphProtos module: every generated message. Written by Scripts/regenerate-protos.sh. */
#ifndef C_GRAPH_PROTOS_H
#define C_GRAPH_PROTOS_H
#include "graph_transforms/wire.pb-c.h"
#include "tensorflow/core/framework/attr_value.pb-c.h"
#include "tensorflow/core/framework/full_type.pb-c.h"
#include "tensorflow/core/framework/function.pb-c.h"
#include "tensorflow/core/framework/graph.pb-c.h"
#include "tensorflow/core/framework/node_def.pb-c.h"
#include "tensorflow/core/framework/op_def.pb-c.h"
#include "tensorflow/core/framework/resource_handle.pb-c.h"
#include "tensorflow/core/framework/tensor.pb-c.h"
#include "tensorflow/core/framework/tensor_shape.pb-c.h"
#include "tensorflow/core/framework/types.pb-c.h"
#include "tensorflow/core/framework/versions.pb-c.h"
#include "tensorflow/core/protobuf/graph_debug_info.pb-c.h"
#include "tensorflow/core/util/memmapped_file_system.pb-c.h"
#include "descriptors.h"
#include "op_list_data.h"
#endif
