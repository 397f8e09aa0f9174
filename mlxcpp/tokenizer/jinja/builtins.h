// The global functions a chat template may call: range, namespace, dict,
// raise_exception and strftime_now (as transformers provides them).
#pragma once

#include <ctime>
#include <string>
#include <unordered_map>

#include "mlxcpp/tokenizer/jinja/environment.h"

namespace mlxcpp::jinja {

std::unordered_map<std::string, Value> make_globals(Environment& env);

/** The instant strftime_now formats: SOURCE_DATE_EPOCH (in UTC) when the
 *  environment sets it, else the local time now. */
std::tm template_clock();

}  // namespace mlxcpp::jinja
