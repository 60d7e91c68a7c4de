// nn2hls kernel library: the one header generated code includes.
#ifndef NN2HLS_H_
#define NN2HLS_H_

#include "nn_common.h"
#include "nn_stream.h"
#include "nn_dense.h"
#include "nn_conv.h"
#include "nn_pool.h"
#include "nn_unary.h"
#include "nn_binary.h"
#include "nn_softmax.h"
#include "nn_layout.h"
#include "nn_recurrent.h"
#include "nn_attention.h"

#endif  // NN2HLS_H_
