// Package peers starts the real third-party servers that integration tests talk
// to (ARCHITECTURE.md convention 10): maildev for SMTP and aws-ses-v2-local for
// Amazon SES. Each is an npm package, installed once into the user cache
// directory (os.UserCacheDir()/vigil/peers/NAME) under a file lock, so that test
// packages running in parallel do not install it twice, and started per test on
// free loopback ports with its own data directory; t.Cleanup stops it.
//
// Availability policy, the same for every peer:
//
//   - When the peer (or node/npm) is missing, it is installed if the tests run as
//     root, under CI=true, or with VIGIL_PEERS_INSTALL=1. A developer's plain
//     `go test` does not download npm packages behind their back.
//   - When it still cannot be installed or started, the test fails under CI=true
//     (a missing peer in CI is a broken CI, never a silent skip) and is skipped
//     otherwise, with the peer's name and the command that installs it.
//
// Failure messages carry the tail of the peer's own output (or of npm's).
package peers
