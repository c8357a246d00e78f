// Where control sockets live: a directory only its owner can enter, so that no other user can
// connect to a run's socket, put a socket of their own in its place, or read what passes (a
// loopback TCP port, by contrast, can be taken by any local user before the run binds it).
// Used by tf-launch to serve and by tf-ctl to find a run's socket.
#pragma once

#include <string>

namespace tf::control {

// $XDG_RUNTIME_DIR/tokenformer when that variable is set, else /tmp/tokenformer-UID.
std::string socket_directory();

// Throws tf::Error naming `dir`, and its owner or mode, unless it is a directory (not a link)
// owned by this user with no permissions for group or others. With `create`, a missing one is
// made (mode 0700, parents as needed).
void check_private_directory(const std::string& dir, bool create);

// Whether a server accepts connections on the unix socket at `path`.
bool socket_answers(const std::string& path);

// Removes the sockets (run-PID.sock, relay-PID.sock) that runs killed by a signal left in `dir`:
// those whose process no longer exists and on which nothing answers. Others are left alone.
void remove_stale_sockets(const std::string& dir);

// control.socket resolved: "" stays "", "auto" is socket_directory()/run-PID.sock.
std::string control_socket_path(const std::string& setting);

}  // namespace tf::control
