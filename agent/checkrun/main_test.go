package checkrun

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// fakeEnv, set in a check's set_env, turns the test binary into a fake
// plugin: os.Args[1] is the mode, the rest its arguments.
const fakeEnv = "VIGIL_FAKE_PLUGIN"

func TestMain(m *testing.M) {
	if os.Getenv(fakeEnv) != "" {
		os.Exit(fakePlugin(os.Args[1], os.Args[2:]))
	}
	goleak.VerifyTestMain(m)
}

// fakePlugin behaves as mode says and returns the exit code.
func fakePlugin(mode string, args []string) int {
	switch mode {
	case "print": // print CODE TEXT
		fmt.Print(args[1])
		code, _ := strconv.Atoi(args[0])
		return code
	case "args":
		b, _ := json.Marshal(args)
		fmt.Printf("%s\n", b)
	case "env":
		env := os.Environ()
		slices.Sort(env)
		b, _ := json.Marshal(env)
		fmt.Printf("%s\n", b)
	case "cwd":
		wd, _ := os.Getwd()
		fmt.Println(wd)
	case "stderr": // stderr CODE TEXT
		fmt.Fprint(os.Stderr, args[1])
		code, _ := strconv.Atoi(args[0])
		return code
	case "selfkill":
		fmt.Println("about to die")
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Hour)
	case "hang":
		fmt.Println("started")
		time.Sleep(time.Hour)
	case "hang-ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("started")
		time.Sleep(time.Hour)
	case "grandchild", "grandchild-hang", "escape": // MODE PIDFILE
		child := exec.Command("sleep", "1000")
		child.Stdout = os.Stdout // holds the plugin's stdout open
		if mode == "escape" {
			child.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		}
		if err := child.Start(); err != nil {
			fmt.Println("start grandchild:", err)
			return 3
		}
		if err := os.WriteFile(args[0], []byte(strconv.Itoa(child.Process.Pid)), 0o600); err != nil {
			fmt.Println("write pid:", err)
			return 3
		}
		fmt.Println("OK - forked | children=1")
		if mode == "grandchild-hang" {
			time.Sleep(time.Hour)
		}
	case "binary":
		os.Stdout.Write([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe| x=1\n"))
	case "latin1":
		os.Stdout.Write([]byte("OK - Pr\xfcfung \x1b[32mgr\xfcn\x1b[0m\n"))
	case "huge": // huge CODE: a first line with perfdata, then 10 MiB of lines
		fmt.Println("WARNING - lots | big=1")
		line := bytes.Repeat([]byte("x"), 1023)
		line = append(line, '\n')
		for range 10 << 10 {
			os.Stdout.Write(line)
		}
		return 1
	case "hugeline": // 10 MiB without a line end
		os.Stdout.Write([]byte("OK | n=12345"))
		os.Stdout.Write(bytes.Repeat([]byte("9"), 10<<20))
	case "silent":
	default:
		fmt.Println("unknown fake plugin mode", mode)
		return 3
	}
	return 0
}
