// The whole core API of mlxcpp, as mlx/mlx.h is for MLX:
//   #include "mlxcpp/mlxcpp.h"
//   namespace mx = mlxcpp;
#pragma once

#include "mlxcpp/core/allocator.h"
#include "mlxcpp/core/array.h"
#include "mlxcpp/core/build_info.h"
#include "mlxcpp/core/device.h"
#include "mlxcpp/core/dtype.h"
#include "mlxcpp/core/einsum.h"
#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/fast.h"
#include "mlxcpp/core/fft.h"
#include "mlxcpp/core/linalg.h"
#include "mlxcpp/core/memory.h"
#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/primitive.h"
#include "mlxcpp/core/random.h"
#include "mlxcpp/core/stream.h"
#include "mlxcpp/core/transforms.h"
#include "mlxcpp/core/utils.h"
#include "mlxcpp/io/io.h"
#include "mlxcpp/version.h"
