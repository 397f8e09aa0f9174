// array: a cheap, copyable handle to a node of a lazy computation graph.
//
// An array built by an op holds the primitive that computes it and the
// arrays it is computed from; nothing runs until eval. After evaluation the
// array holds a data buffer (possibly shared with other arrays, as views do)
// and drops its graph.
#pragma once

#include <algorithm>
#include <atomic>
#include <complex>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "mlxcpp/core/allocator.h"
#include "mlxcpp/core/dtype.h"
#include "mlxcpp/core/event.h"
#include "mlxcpp/core/value_cast.h"

namespace mlxcpp {

class Primitive;

using Deleter = std::function<void(allocator::Buffer)>;
using ShapeElem = int32_t;
using Shape = std::vector<ShapeElem>;
using Strides = std::vector<int64_t>;

template <typename T>
inline constexpr bool is_element_type_v =
    std::is_arithmetic_v<T> || is_half_v<T> || std::is_same_v<T, complex64_t>;

class array {
 public:
  /** A 0-d array holding val. */
  template <typename T, typename = std::enable_if_t<is_element_type_v<T>>>
  explicit array(T val, Dtype dtype = TypeToDtype<T>());

  /** std::complex is not implicitly convertible to other types, so it gets its own overload. */
  explicit array(const std::complex<float>& val, Dtype dtype = complex64);

  /** An array of the given shape filled from an iterator (row-major order). */
  template <typename It>
  explicit array(It data, Shape shape,
                 Dtype dtype = TypeToDtype<typename std::iterator_traits<It>::value_type>());

  /** A 1-d array of the listed values. */
  template <typename T, typename = std::enable_if_t<is_element_type_v<T>>>
  explicit array(std::initializer_list<T> data, Dtype dtype = TypeToDtype<T>());

  /** Special case so that an empty list gives a float32 array. */
  explicit array(std::initializer_list<float> data);

  /** Special case so that array({}, dtype) is an empty array of that dtype. */
  explicit array(std::initializer_list<int> data, Dtype dtype);

  /** An array of the given shape from the listed values; the counts must agree. */
  template <typename T, typename = std::enable_if_t<is_element_type_v<T>>>
  explicit array(std::initializer_list<T> data, Shape shape, Dtype dtype = TypeToDtype<T>());

  /** Wrap row-major data without a copy; deleter(data) runs when the array no longer needs it. */
  explicit array(void* data, Shape shape, Dtype dtype, const std::function<void(void*)>& deleter);

  /** An array over an allocator buffer (row-major); deleter releases it. */
  explicit array(allocator::Buffer data, Shape shape, Dtype dtype,
                 Deleter deleter = allocator::free);

  array& operator=(const array& other) && = delete;
  array& operator=(array&& other) && = delete;
  array& operator=(array&& other) & = default;
  array(const array& other) = default;
  array(array&& other) = default;
  array& operator=(const array& other) & {
    if (this->id() != other.id()) {
      this->desc_ = other.desc_;
    }
    return *this;
  }
  ~array() = default;

  /** Size of one element in bytes. */
  size_t itemsize() const { return size_of(dtype()); }
  /** Number of elements. */
  size_t size() const { return desc_->size; }
  /** Number of bytes of the elements (size() * itemsize()). */
  size_t nbytes() const { return size() * itemsize(); }
  size_t ndim() const { return desc_->shape.size(); }
  const Shape& shape() const { return desc_->shape; }
  /** Size of one dimension; negative dims count from the end; bounds checked. */
  ShapeElem shape(int dim) const {
    return shape().at(dim < 0 ? dim + static_cast<int>(ndim()) : dim);
  }
  const Strides& strides() const { return desc_->strides; }
  int64_t strides(int dim) const {
    return strides().at(dim < 0 ? dim + static_cast<int>(ndim()) : dim);
  }
  Dtype dtype() const { return desc_->dtype; }

  /** Compute the array (and what it depends on) and wait for it. */
  void eval();

  /** The value of a one-element array, evaluating it first. T must have the dtype's size. */
  template <typename T>
  T item();
  template <typename T>
  T item() const;

  /** Iterates over the first axis, yielding sub-arrays. */
  struct ArrayIterator {
    using iterator_category = std::random_access_iterator_tag;
    using difference_type = int64_t;
    using value_type = const array;
    using reference = value_type;

    explicit ArrayIterator(const array& arr, int idx = 0);
    reference operator*() const;
    ArrayIterator& operator++() {
      idx++;
      return *this;
    }
    ArrayIterator operator+(difference_type diff) const { return ArrayIterator(arr, idx + diff); }
    friend bool operator==(const ArrayIterator& a, const ArrayIterator& b) {
      return a.arr.id() == b.arr.id() && a.idx == b.idx;
    }
    friend bool operator!=(const ArrayIterator& a, const ArrayIterator& b) { return !(a == b); }

   private:
    const array& arr;
    int idx;
  };
  ArrayIterator begin() const { return ArrayIterator(*this); }
  ArrayIterator end() const { return ArrayIterator(*this, shape(0)); }

  // ---------------------------------------------------------------------
  // The rest is for primitives, kernels and the evaluator.

  /** An unevaluated array computed by primitive from inputs. */
  array(Shape shape, Dtype dtype, std::shared_ptr<Primitive> primitive, std::vector<array> inputs);

  /** The outputs of one multi-output primitive; each knows the others as siblings. */
  static std::vector<array> make_arrays(std::vector<Shape> shapes, const std::vector<Dtype>& dtypes,
                                        const std::shared_ptr<Primitive>& primitive,
                                        const std::vector<array>& inputs);

  /** A detached array sharing other's data without owning it; other must outlive it. */
  static array unsafe_weak_copy(const array& other);

  std::uintptr_t id() const { return reinterpret_cast<std::uintptr_t>(desc_.get()); }
  /** Identifies the graph node (shared by all outputs of one primitive application). */
  std::uintptr_t node_id() const { return reinterpret_cast<std::uintptr_t>(desc_->node.get()); }
  std::uintptr_t primitive_id() const {
    return reinterpret_cast<std::uintptr_t>(desc_->node ? desc_->node->primitive.get() : nullptr);
  }

  struct Data {
    allocator::Buffer buffer;
    Deleter d;
    Data(allocator::Buffer buffer, Deleter d = allocator::free) : buffer(buffer), d(std::move(d)) {}
    Data(const Data&) = delete;
    Data& operator=(const Data&) = delete;
    ~Data() {
      if (d) {
        d(buffer);
      }
    }
  };

  struct Flags {
    // No gaps: prod(shape[i] for strides[i] > 0) == data_size.
    bool contiguous : 1;
    // Row-major dense layout (dims of size 1 ignored).
    bool row_contiguous : 1;
    // Column-major dense layout (dims of size 1 ignored).
    bool col_contiguous : 1;
  };

  Primitive& primitive() const { return *desc_->node->primitive; }
  std::shared_ptr<Primitive>& primitive_ptr() const { return desc_->node->primitive; }
  bool has_primitive() const { return desc_->node != nullptr; }
  /** The arrays this one is computed from (empty once evaluated). */
  const std::vector<array>& inputs() const;
  /** True when nothing else refers to this array or its buffer, and the allocator owns the
   *  buffer (wrapped user memory is never written), so a kernel may reuse it. */
  bool is_donatable() const {
    return desc_.use_count() == 1 && desc_->data && desc_->data.use_count() == 1 &&
           desc_->data->buffer.owned();
  }
  /** The other outputs of this array's primitive. */
  std::vector<array> siblings() const;
  int sibling_position() const { return static_cast<int>(desc_->position); }
  /** All outputs of this array's primitive in order, this one included. Outputs the
   *  user dropped are recreated so a kernel always has somewhere to write. */
  std::vector<array> outputs() const;
  /** Drop the graph: primitive and inputs, for this array and its siblings. */
  void detach();

  const Flags& flags() const { return desc_->flags; }
  /** Number of elements the buffer spans from the first to the last element. */
  size_t data_size() const { return desc_->data_size; }
  allocator::Buffer& buffer() { return desc_->data->buffer; }
  const allocator::Buffer& buffer() const { return desc_->data->buffer; }
  size_t buffer_size() const { return desc_->data ? desc_->data->buffer.size() : 0; }
  const std::shared_ptr<Data>& data_shared_ptr() const { return desc_->data; }

  template <typename T>
  T* data() {
    return reinterpret_cast<T*>(static_cast<char*>(desc_->data->buffer.raw_ptr()) + desc_->offset);
  }
  template <typename T>
  const T* data() const {
    return const_cast<array&>(*this).data<T>();
  }
  /** Offset of the first element from the buffer start, in bytes. */
  int64_t offset() const { return desc_->offset; }

  enum Status {
    unscheduled,  // built by an op, not scheduled yet
    evaluated,    // scheduled or running (asynchronously); wait() before reading
    available     // data can be read
  };
  bool is_available() const;
  /** Block until the array's data can be read; rethrows an error from its evaluation. */
  void wait();
  Status status() const { return desc_->status.load(std::memory_order_acquire); }
  void set_status(Status s) const { desc_->status.store(s, std::memory_order_release); }
  void attach_event(std::shared_ptr<Event> e) const { desc_->event = std::move(e); }
  const std::shared_ptr<Event>& event() const { return desc_->event; }

  void set_data(allocator::Buffer buffer, Deleter d = allocator::free);
  void set_data(allocator::Buffer buffer, size_t data_size, Strides strides, Flags flags,
                Deleter d) {
    set_data(buffer, data_size, std::move(strides), flags, 0, std::move(d));
  }
  void set_data(allocator::Buffer buffer, size_t data_size, Strides strides, Flags flags,
                int64_t offset = 0, Deleter d = allocator::free);
  /** Share other's buffer with the given layout; offset is in elements of this dtype. */
  void copy_shared_buffer(const array& other, const Strides& strides, Flags flags, size_t data_size,
                          int64_t offset = 0);
  void copy_shared_buffer(const array& other);
  /** Take over other's buffer (other must be donatable). */
  void move_shared_buffer(array other, const Strides& strides, Flags flags, size_t data_size,
                          int64_t offset = 0);
  void move_shared_buffer(array other);
  void overwrite_descriptor(const array& other) { desc_ = other.desc_; }

 private:
  struct Node;
  struct ArrayDesc;

  template <typename It>
  void init(It src);

  explicit array(std::shared_ptr<ArrayDesc> desc) : desc_(std::move(desc)) {}

  // One primitive application: shared by all its outputs. The outputs are
  // weak so that siblings do not keep each other alive.
  struct Node {
    std::shared_ptr<Primitive> primitive;
    std::vector<array> inputs;
    std::vector<std::weak_ptr<ArrayDesc>> outputs;
    // Multi-output nodes only: what to rebuild a dropped output from.
    std::vector<Shape> output_shapes;
    std::vector<Dtype> output_dtypes;
    ~Node();
  };

  struct ArrayDesc {
    Shape shape;
    Strides strides;
    size_t size{1};
    Dtype dtype;
    std::shared_ptr<Node> node;
    uint32_t position{0};
    std::atomic<Status> status{Status::available};
    std::shared_ptr<Event> event;
    std::shared_ptr<Data> data;
    int64_t offset{0};  // in bytes
    size_t data_size{0};
    Flags flags{true, true, true};

    ArrayDesc(Shape shape, Dtype dtype);
  };

  std::shared_ptr<ArrayDesc> desc_;
};

namespace detail {
/** Throws std::invalid_argument unless T's size matches the array's itemsize. */
void check_item_type(const array& a, size_t type_size, const char* op);
}  // namespace detail

template <typename T, typename>
array::array(T val, Dtype dtype) : desc_(std::make_shared<ArrayDesc>(Shape{}, dtype)) {
  init(&val);
}

template <typename It>
array::array(It data, Shape shape, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  init(data);
}

template <typename T, typename>
array::array(std::initializer_list<T> data, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(Shape{static_cast<ShapeElem>(data.size())}, dtype)) {
  init(data.begin());
}

template <typename T, typename>
array::array(std::initializer_list<T> data, Shape shape, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  if (data.size() != size()) {
    throw std::invalid_argument("[array] Data size and provided shape mismatch; expected " +
                                std::to_string(size()) + " values, got " +
                                std::to_string(data.size()) + ".");
  }
  init(data.begin());
}

template <typename T>
T array::item() {
  if (size() != 1) {
    throw std::invalid_argument("[item] item can only be called on arrays of size 1; got size " +
                                std::to_string(size()) + ".");
  }
  detail::check_item_type(*this, sizeof(T), "item");
  eval();
  return *data<T>();
}

template <typename T>
T array::item() const {
  if (size() != 1) {
    throw std::invalid_argument("[item] item can only be called on arrays of size 1; got size " +
                                std::to_string(size()) + ".");
  }
  detail::check_item_type(*this, sizeof(T), "item");
  if (status() == Status::unscheduled) {
    throw std::invalid_argument("[item] item() const can only be called on evaluated arrays.");
  }
  const_cast<array*>(this)->wait();
  return *data<T>();
}

template <typename It>
void array::init(It src) {
  set_data(allocator::malloc(nbytes()));
  using From = typename std::iterator_traits<It>::value_type;
  auto fill = [&](auto* dst) {
    using To = std::remove_pointer_t<decltype(dst)>;
    for (size_t i = 0; i < size(); ++i, ++src) {
      dst[i] = value_cast<To>(static_cast<From>(*src));
    }
  };
  switch (dtype()) {
    case Dtype::Val::bool_:
      fill(data<bool>());
      break;
    case Dtype::Val::uint8:
      fill(data<uint8_t>());
      break;
    case Dtype::Val::uint16:
      fill(data<uint16_t>());
      break;
    case Dtype::Val::uint32:
      fill(data<uint32_t>());
      break;
    case Dtype::Val::uint64:
      fill(data<uint64_t>());
      break;
    case Dtype::Val::int8:
      fill(data<int8_t>());
      break;
    case Dtype::Val::int16:
      fill(data<int16_t>());
      break;
    case Dtype::Val::int32:
      fill(data<int32_t>());
      break;
    case Dtype::Val::int64:
      fill(data<int64_t>());
      break;
    case Dtype::Val::float16:
      fill(data<float16_t>());
      break;
    case Dtype::Val::float32:
      fill(data<float>());
      break;
    case Dtype::Val::float64:
      fill(data<double>());
      break;
    case Dtype::Val::bfloat16:
      fill(data<bfloat16_t>());
      break;
    case Dtype::Val::complex64:
      fill(data<complex64_t>());
      break;
  }
}

template <typename T>
inline constexpr bool is_array_v =
    std::is_same_v<std::remove_cv_t<std::remove_reference_t<T>>, array>;

template <typename... T>
inline constexpr bool is_arrays_v = (is_array_v<T> && ...);

template <typename... T>
using enable_for_arrays_t = typename std::enable_if_t<is_arrays_v<T...>>;

}  // namespace mlxcpp
