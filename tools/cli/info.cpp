// `mlxcpp info`: what this build is and what the machine offers.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include "mlxcpp/core/build_info.h"
#include "mlxcpp/core/device.h"
#include "mlxcpp/core/memory.h"
#include "tools/cli/commands.h"

namespace mlxcpp::cli {

void register_info(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("info", "Print the build: version, compiler, ISA, BLAS, threads");
  cmd->callback([&action] {
    action = [] {
      const auto info = build_info();
      const auto& dev = device_info(Device::cpu);
      fmt::print("mlxcpp {}\n", info.version);
      fmt::print("build type:   {}\n", info.build_type);
      fmt::print("compiler:     {}\n", info.compiler);
      fmt::print("ISA compiled: {}\n", fmt::join(info.isa_compiled, ", "));
      fmt::print("ISA CPU:      {}\n", info.isa_cpu.empty()
                                           ? std::string("(none detected)")
                                           : fmt::format("{}", fmt::join(info.isa_cpu, ", ")));
      fmt::print("BLAS:         {}\n", info.blas);
      fmt::print("threads:      {}\n", info.threads);
      fmt::print("cpu:          {}\n", std::get<std::string>(dev.at("device_name")));
      fmt::print("memory:       {:.1f} GiB (limit {:.1f} GiB)\n",
                 std::get<size_t>(dev.at("memory_size")) / double(1 << 30),
                 get_memory_limit() / double(1 << 30));
      fmt::print("gpu:          none (this build has no gpu backend)\n");
      return 0;
    };
  });
}

}  // namespace mlxcpp::cli
