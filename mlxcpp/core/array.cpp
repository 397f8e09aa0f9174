#include "mlxcpp/core/array.h"

#include <limits>
#include <string>

#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/primitive.h"
#include "mlxcpp/core/transforms.h"

namespace mlxcpp {

namespace {

// Row-major strides and element count; rejects negative dimensions and
// sizes whose byte count does not fit in 63 bits.
size_t init_layout(const Shape& shape, Dtype dtype, Strides& strides) {
  strides.resize(shape.size());
  uint64_t size = 1;
  bool empty = false;
  for (auto d : shape) {
    if (d < 0) {
      throw std::invalid_argument("[array] Shape dimensions must be non-negative; got " +
                                  std::to_string(d) + ".");
    }
    empty |= d == 0;
  }
  constexpr uint64_t max_bytes = uint64_t(1) << 62;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    strides[i] = static_cast<int64_t>(size);
    if (!empty && shape[i] != 0 && size > max_bytes / size_of(dtype) / shape[i]) {
      throw std::invalid_argument(
          "[array] The array is too large; its size in bytes does not fit in 62 bits.");
    }
    size *= static_cast<uint64_t>(shape[i]);
  }
  return static_cast<size_t>(size);
}

const std::vector<array>& no_inputs() {
  static const std::vector<array>* empty = new std::vector<array>();
  return *empty;
}

}  // namespace

namespace detail {
void check_item_type(const array& a, size_t type_size, const char* op) {
  if (type_size != a.itemsize()) {
    throw std::invalid_argument(std::string("[") + op +
                                "] The requested type does not match the array's dtype; expected "
                                "a type of " +
                                std::to_string(a.itemsize()) + " bytes (" +
                                std::string(dtype_name(a.dtype())) + "), got " +
                                std::to_string(type_size) + " bytes.");
  }
}
}  // namespace detail

array::ArrayDesc::ArrayDesc(Shape shape_, Dtype dtype_) : shape(std::move(shape_)), dtype(dtype_) {
  size = init_layout(shape, dtype, strides);
}

// Destroying a long chain of unevaluated arrays would recurse once per link
// (array -> node -> input array -> node ...). Instead, the outermost node
// destructor on a thread drains a work list and inner ones only add to it.
array::Node::~Node() {
  thread_local std::vector<array>* pending = nullptr;
  if (pending != nullptr) {
    for (auto& in : inputs) {
      pending->push_back(std::move(in));
    }
    return;
  }
  std::vector<array> work = std::move(inputs);
  pending = &work;
  while (!work.empty()) {
    array a = std::move(work.back());
    work.pop_back();
    // `a` is released here; if it was the last reference, its node's inputs
    // join the work list instead of being destroyed recursively.
  }
  pending = nullptr;
}

array::array(const std::complex<float>& val, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(Shape{}, dtype)) {
  auto cval = static_cast<complex64_t>(val);
  init(&cval);
}

array::array(std::initializer_list<float> data)
    : desc_(std::make_shared<ArrayDesc>(Shape{static_cast<ShapeElem>(data.size())}, float32)) {
  init(data.begin());
}

array::array(std::initializer_list<int> data, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(Shape{static_cast<ShapeElem>(data.size())}, dtype)) {
  init(data.begin());
}

array::array(void* data, Shape shape, Dtype dtype, const std::function<void(void*)>& deleter)
    : desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  auto buffer = allocator::make_buffer(data, nbytes());
  set_data(buffer, [deleter](allocator::Buffer b) {
    if (deleter) {
      deleter(b.raw_ptr());
    }
  });
}

array::array(allocator::Buffer data, Shape shape, Dtype dtype, Deleter deleter)
    : desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  set_data(data, std::move(deleter));
}

array::array(Shape shape, Dtype dtype, std::shared_ptr<Primitive> primitive,
             std::vector<array> inputs)
    : desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  auto node = std::make_shared<Node>();
  node->primitive = std::move(primitive);
  node->inputs = std::move(inputs);
  node->outputs.push_back(desc_);
  desc_->node = std::move(node);
  desc_->status.store(Status::unscheduled);
}

std::vector<array> array::make_arrays(std::vector<Shape> shapes, const std::vector<Dtype>& dtypes,
                                      const std::shared_ptr<Primitive>& primitive,
                                      const std::vector<array>& inputs) {
  if (shapes.size() != dtypes.size()) {
    throw std::invalid_argument("[make_arrays] Expected one dtype per output shape.");
  }
  auto node = std::make_shared<Node>();
  node->primitive = primitive;
  node->inputs = inputs;
  std::vector<array> outputs;
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto desc = std::make_shared<ArrayDesc>(shapes[i], dtypes[i]);
    desc->node = node;
    desc->position = static_cast<uint32_t>(i);
    desc->status.store(Status::unscheduled);
    node->outputs.push_back(desc);
    outputs.push_back(array(std::move(desc)));
  }
  node->output_shapes = std::move(shapes);
  node->output_dtypes = dtypes;
  return outputs;
}

array array::unsafe_weak_copy(const array& other) {
  array cpy(std::make_shared<ArrayDesc>(other.shape(), other.dtype()));
  // A borrowed, not owned, buffer: never freed or reused through the copy.
  auto buffer = other.desc_->data ? allocator::make_buffer(other.desc_->data->buffer.raw_ptr(),
                                                           other.desc_->data->buffer.size())
                                  : allocator::Buffer();
  cpy.set_data(buffer, other.data_size(), other.strides(), other.flags(), 0,
               [](allocator::Buffer) {});
  cpy.desc_->offset = other.desc_->offset;
  return cpy;
}

const std::vector<array>& array::inputs() const {
  return desc_->node ? desc_->node->inputs : no_inputs();
}

std::vector<array> array::siblings() const {
  std::vector<array> out;
  if (!desc_->node) {
    return out;
  }
  for (auto& w : desc_->node->outputs) {
    if (auto d = w.lock(); d && d != desc_) {
      out.push_back(array(std::move(d)));
    }
  }
  return out;
}

std::vector<array> array::outputs() const {
  std::vector<array> out;
  if (!desc_->node) {
    out.push_back(*this);
    return out;
  }
  auto& node = *desc_->node;
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    if (auto d = node.outputs[i].lock()) {
      out.push_back(array(std::move(d)));
    } else {
      // Dropped by the user: a scratch output the kernel can write to. (Only
      // multi-output nodes can lose an output while reachable, and they keep
      // every output's shape and dtype.)
      if (i >= node.output_shapes.size()) {
        throw std::logic_error("[array] An output of a single-output node was lost.");
      }
      auto scratch = std::make_shared<ArrayDesc>(node.output_shapes[i], node.output_dtypes[i]);
      scratch->position = static_cast<uint32_t>(i);
      scratch->status.store(Status::unscheduled);
      out.push_back(array(std::move(scratch)));
    }
  }
  return out;
}

void array::detach() {
  auto node = std::move(desc_->node);
  if (!node) {
    return;
  }
  for (auto& w : node->outputs) {
    if (auto d = w.lock()) {
      d->node = nullptr;
    }
  }
}

bool array::is_available() const {
  return status() == Status::available;
}

void array::wait() {
  if (status() == Status::available) {
    return;
  }
  if (auto ev = desc_->event) {
    try {
      ev->wait();
    } catch (...) {
      // The task failed, but this array may have been computed before the
      // failing node: then it is fine and the error belongs to others.
      if (status() != Status::available) {
        throw;
      }
    }
  }
  if (status() != Status::available) {
    throw std::runtime_error("[wait] The array was not computed.");
  }
}

void array::eval() {
  if (status() == Status::unscheduled) {
    mlxcpp::eval({*this});
  } else {
    wait();
  }
}

void array::set_data(allocator::Buffer buffer, Deleter d) {
  desc_->data = std::make_shared<Data>(buffer, std::move(d));
  desc_->offset = 0;
  desc_->data_size = size();
  desc_->flags.contiguous = true;
  desc_->flags.row_contiguous = true;
  auto max_dim = std::max_element(shape().begin(), shape().end());
  desc_->flags.col_contiguous = size() <= 1 || size() == static_cast<size_t>(*max_dim);
  // Row-major strides (a failed earlier evaluation may have left others).
  auto& strides = desc_->strides;
  strides.resize(shape().size());
  int64_t st = 1;
  for (int i = static_cast<int>(shape().size()) - 1; i >= 0; --i) {
    strides[i] = st;
    st *= shape()[i];
  }
}

void array::set_data(allocator::Buffer buffer, size_t data_size, Strides strides, Flags flags,
                     int64_t offset, Deleter d) {
  desc_->data = std::make_shared<Data>(buffer, std::move(d));
  desc_->offset = offset;
  desc_->data_size = data_size;
  desc_->strides = std::move(strides);
  desc_->flags = flags;
}

void array::copy_shared_buffer(const array& other, const Strides& strides, Flags flags,
                               size_t data_size, int64_t offset) {
  desc_->data = other.desc_->data;
  desc_->strides = strides;
  desc_->flags = flags;
  desc_->data_size = data_size;
  desc_->offset = static_cast<int64_t>(itemsize()) * offset + other.desc_->offset;
}

void array::copy_shared_buffer(const array& other) {
  copy_shared_buffer(other, other.strides(), other.flags(), other.data_size());
}

void array::move_shared_buffer(array other, const Strides& strides, Flags flags, size_t data_size,
                               int64_t offset) {
  desc_->data = std::move(other.desc_->data);
  desc_->strides = strides;
  desc_->flags = flags;
  desc_->data_size = data_size;
  desc_->offset = static_cast<int64_t>(itemsize()) * offset + other.desc_->offset;
}

void array::move_shared_buffer(array other) {
  auto strides = other.strides();
  auto flags = other.flags();
  auto data_size = other.data_size();
  move_shared_buffer(std::move(other), strides, flags, data_size);
}

array::ArrayIterator::ArrayIterator(const array& arr, int idx) : arr(arr), idx(idx) {
  if (arr.ndim() == 0) {
    throw std::invalid_argument("[array] Cannot iterate over a 0-d array.");
  }
}

array::ArrayIterator::reference array::ArrayIterator::operator*() const {
  auto start = Shape(arr.ndim(), 0);
  auto end = arr.shape();
  auto shape = arr.shape();
  shape.erase(shape.begin());
  start[0] = idx;
  end[0] = idx + 1;
  return reshape(slice(arr, start, end), shape);
}

}  // namespace mlxcpp
