#include "mlxcpp/core/dtype.h"

namespace mlxcpp {

namespace {

constexpr int num_categories = 8;

constexpr Dtype::Kind type_kinds[num_dtypes] = {
    Dtype::Kind::b,  // bool
    Dtype::Kind::u,  // uint8
    Dtype::Kind::u,  // uint16
    Dtype::Kind::u,  // uint32
    Dtype::Kind::u,  // uint64
    Dtype::Kind::i,  // int8
    Dtype::Kind::i,  // int16
    Dtype::Kind::i,  // int32
    Dtype::Kind::i,  // int64
    Dtype::Kind::f,  // float16
    Dtype::Kind::f,  // float32
    Dtype::Kind::f,  // float64
    Dtype::Kind::V,  // bfloat16
    Dtype::Kind::c,  // complex64
};

// MLX's promotion table. It differs from NumPy: uint64 with a signed integer
// gives float32, any integer with a half type keeps the half type, and
// float16 with bfloat16 gives float32.
// clang-format off
constexpr Dtype promotion[num_dtypes][num_dtypes] = {
// bool       uint8      uint16     uint32     uint64     int8       int16      int32      int64      float16    float32    float64    bfloat16   complex64
  {bool_,     uint8,     uint16,    uint32,    uint64,    int8,      int16,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64}, // bool
  {uint8,     uint8,     uint16,    uint32,    uint64,    int16,     int16,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64}, // uint8
  {uint16,    uint16,    uint16,    uint32,    uint64,    int32,     int32,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64}, // uint16
  {uint32,    uint32,    uint32,    uint32,    uint64,    int64,     int64,     int64,     int64,     float16,   float32,   float64,   bfloat16,  complex64}, // uint32
  {uint64,    uint64,    uint64,    uint64,    uint64,    float32,   float32,   float32,   float32,   float16,   float32,   float64,   bfloat16,  complex64}, // uint64
  {int8,      int16,     int32,     int64,     float32,   int8,      int16,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64}, // int8
  {int16,     int16,     int32,     int64,     float32,   int16,     int16,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64}, // int16
  {int32,     int32,     int32,     int64,     float32,   int32,     int32,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64}, // int32
  {int64,     int64,     int64,     int64,     float32,   int64,     int64,     int64,     int64,     float16,   float32,   float64,   bfloat16,  complex64}, // int64
  {float16,   float16,   float16,   float16,   float16,   float16,   float16,   float16,   float16,   float16,   float32,   float64,   float32,   complex64}, // float16
  {float32,   float32,   float32,   float32,   float32,   float32,   float32,   float32,   float32,   float32,   float32,   float64,   float32,   complex64}, // float32
  {float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   complex64}, // float64
  {bfloat16,  bfloat16,  bfloat16,  bfloat16,  bfloat16,  bfloat16,  bfloat16,  bfloat16,  bfloat16,  float32,   float32,   float64,   bfloat16,  complex64}, // bfloat16
  {complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64}, // complex64
};

// Row: a category; column: whether it lies within that category.
constexpr bool within_category[num_categories][num_categories] = {
// complexfloating floating inexact signedint unsignedint integer number generic
  {true,           false,   true,   false,    false,      false,  true,  true}, // complexfloating
  {false,          true,    true,   false,    false,      false,  true,  true}, // floating
  {false,          false,   true,   false,    false,      false,  true,  true}, // inexact
  {false,          false,   false,  true,     false,      true,   true,  true}, // signedinteger
  {false,          false,   false,  false,    true,       true,   true,  true}, // unsignedinteger
  {false,          false,   false,  false,    false,      true,   true,  true}, // integer
  {false,          false,   false,  false,    false,      false,  true,  true}, // number
  {false,          false,   false,  false,    false,      false,  false, true}, // generic
};
// clang-format on

constexpr Dtype::Category category_of[num_dtypes] = {
    Dtype::Category::generic,          // bool
    Dtype::Category::unsignedinteger,  // uint8
    Dtype::Category::unsignedinteger,  // uint16
    Dtype::Category::unsignedinteger,  // uint32
    Dtype::Category::unsignedinteger,  // uint64
    Dtype::Category::signedinteger,    // int8
    Dtype::Category::signedinteger,    // int16
    Dtype::Category::signedinteger,    // int32
    Dtype::Category::signedinteger,    // int64
    Dtype::Category::floating,         // float16
    Dtype::Category::floating,         // float32
    Dtype::Category::floating,         // float64
    Dtype::Category::floating,         // bfloat16
    Dtype::Category::complexfloating,  // complex64
};

constexpr std::string_view names[num_dtypes] = {
    "bool",  "uint8", "uint16",  "uint32",  "uint64",  "int8",     "int16",
    "int32", "int64", "float16", "float32", "float64", "bfloat16", "complex64"};

int index_of(const Dtype& t) {
  return static_cast<int>(t.val());
}

}  // namespace

Dtype promote_types(const Dtype& t1, const Dtype& t2) {
  return promotion[index_of(t1)][index_of(t2)];
}

Dtype::Kind kindof(const Dtype& t) {
  return type_kinds[index_of(t)];
}

std::string_view dtype_name(const Dtype& t) {
  return names[index_of(t)];
}

bool issubdtype(const Dtype& a, const Dtype& b) {
  return a == b;
}

bool issubdtype(const Dtype::Category&, const Dtype&) {
  return false;
}

bool issubdtype(const Dtype& type, const Dtype::Category& cat) {
  return issubdtype(category_of[index_of(type)], cat);
}

bool issubdtype(const Dtype::Category& a, const Dtype::Category& b) {
  return within_category[static_cast<int>(a)][static_cast<int>(b)];
}

}  // namespace mlxcpp
