// What filters, tests, methods and global functions need from the running
// template: calling back into it, and its sandbox limits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/tokenizer/jinja/value.h"

namespace mlxcpp::jinja {

/** Sandbox limits of one render. */
struct RenderLimits {
  /** Largest output (and largest string or list a template may build), in bytes / items. */
  size_t max_output_bytes = 16u << 20;
  /** Loop iterations (all loops of the render together, including filters' loops). */
  uint64_t max_loop_iterations = 1'000'000;
  /** Macro calls in progress at once. */
  int max_call_depth = 64;
};

/** raise_exception("...") in a template: a TemplateError carrying the template's message. */
class RaisedError : public TemplateError {
 public:
  explicit RaisedError(std::string message)
      : TemplateError("[chat template] " + message), message_(std::move(message)) {}
  const std::string& message() const noexcept { return message_; }

 private:
  std::string message_;
};

class Environment {
 public:
  virtual ~Environment() = default;
  virtual Value apply_filter(std::string_view name, const Value& operand, CallArgs& args) = 0;
  virtual bool apply_test(std::string_view name, const Value& operand, CallArgs& args) = 0;
  virtual Value call(const Value& callee, CallArgs& args) = 0;
  /** Counts one loop iteration against the limit. */
  virtual void tick() = 0;
  /** Throws when a string or list of this size would pass the limits. */
  virtual void check_size(size_t size, std::string_view what) = 0;
  virtual const RenderLimits& limits() const = 0;
};

/** Raises the error an operation on an Undefined value gives. */
[[noreturn]] void undefined_error(const Value& v);
/** A TemplateError "[chat template] <what>". */
[[noreturn]] void type_error(const std::string& what);

/** Filters: returns false when there is no filter of that name. */
bool call_filter(Environment& env, std::string_view name, const Value& operand, CallArgs& args,
                 Value& result);
/** Tests: returns false when there is no test of that name. */
bool call_test(Environment& env, std::string_view name, const Value& operand, CallArgs& args,
               bool& result);
/** Methods of str, list and dict ("a".upper(), d.items(), l.append(x)); false when unknown. */
bool call_method(Environment& env, const Value& object, std::string_view name, CallArgs& args,
                 Value& result);

/** Python's iteration of a value (list items, dict keys, string characters). */
List iterate(const Value& v);
/** Python's len(); throws for a value without a length. */
size_t length_of(const Value& v);
/** Python's `in`. */
bool contains(const Value& container, const Value& item);

}  // namespace mlxcpp::jinja
