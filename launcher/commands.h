// tf-launch sub-commands besides training. Each takes the words after its own name (argv[0] is
// the sub-command) and returns the exit status; bad usage or data throws tf::Error.
#pragma once

namespace tf {

// eval --config F (--checkpoint DIR | --init-from PATH.safetensors) --data PATH [--batch N]
int run_eval_command(int argc, char** argv);
// generate --config F (--checkpoint DIR | --init-from PATH) (--prompt IDS | --text S) [--tokens N]
// [--logits FILE]: the greedy continuation of a prompt (launcher/generate_command.cpp)
int run_generate_command(int argc, char** argv);
// inspect-ckpt DIR
int run_inspect_command(int argc, char** argv);
// plan --config F [--ranks N]: the launches a chain of the config's stages needs
int run_plan_command(int argc, char** argv);
// summary DIR [--unless-printed]: the failure summary of the newest launch
// (launcher/fault_report.h)
int run_summary_command(int argc, char** argv);

}  // namespace tf
