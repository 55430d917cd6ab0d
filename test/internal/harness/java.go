package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// javaCPEnv names the environment variable holding the file with the
// test/java module's runtime classpath (one line, ':'-separated). MainJava
// sets it after building the module; a caller may set it to skip the build.
const javaCPEnv = "SAMSA_JAVA_CLASSPATH_FILE"

// javaBuildTimeout bounds the Maven build of test/java (a first, online
// resolve of its dependencies included).
const javaBuildTimeout = 8 * time.Minute

// JavaModuleDir returns the directory of the test/java Maven module.
func JavaModuleDir() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "test", "java"), nil
}

// MainJava is Main for packages that also need the test/java module: it
// compiles the module's tests and writes its classpath to
// test/java/target/classpath.txt once, before any test runs.
func MainJava(m *testing.M) int {
	if os.Getenv(javaCPEnv) == "" {
		file, err := BuildJava()
		if err != nil {
			fmt.Fprintf(os.Stderr, "harness: %v\n", err)
			return 1
		}
		if err := os.Setenv(javaCPEnv, file); err != nil {
			fmt.Fprintf(os.Stderr, "harness: set %s: %v\n", javaCPEnv, err)
			return 1
		}
	}
	return Main(m)
}

// BuildJava compiles test/java (main and test sources), runs its
// broker-free ToolchainTest and writes its
// runtime classpath into target/classpath.txt, returning that file's path.
// It tries Maven offline first, so that a machine with a filled ~/.m2 needs
// no network, and falls back to an online resolve.
func BuildJava() (string, error) {
	dir, err := JavaModuleDir()
	if err != nil {
		return "", err
	}
	file := filepath.Join(dir, "target", "classpath.txt")
	// go test runs test packages in parallel processes, and two Maven
	// builds in one module directory overwrite each other's classes (and
	// race in ~/.m2): one build at a time, the second finding it done.
	unlock, err := lockJavaBuild(filepath.Join(dir, "target"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if javaBuildUpToDate(dir, file) {
		return file, nil // the other package's build, moments ago
	}
	// ToolchainTest needs no broker; running it also fetches Surefire's
	// JUnit provider, so that later `mvn -o surefire:test` runs work.
	goals := []string{"-B", "-q", "test-compile", "surefire:test", "dependency:build-classpath",
		"-Dtest=ToolchainTest", "-Dmdep.outputFile=" + file, "-Dmdep.includeScope=test"}
	var out []byte
	for _, mode := range [][]string{{"-o"}, nil} {
		ctx, cancel := context.WithTimeout(context.Background(), javaBuildTimeout)
		cmd := exec.CommandContext(ctx, "mvn", append(mode, goals...)...)
		cmd.Dir = dir
		out, err = cmd.CombinedOutput()
		cancel()
		if err == nil {
			return file, nil
		}
	}
	return "", fmt.Errorf("mvn test-compile in %s: %w\n%s", dir, err, lastBytes(string(out), 8192))
}

// JavaClasspath returns the runtime classpath of the test/java module (the
// Kafka 4.4 jars, JUnit, and target/classes and target/test-classes),
// failing the test when MainJava did not build it.
func JavaClasspath(t testing.TB) string {
	t.Helper()
	file := os.Getenv(javaCPEnv)
	if file == "" {
		t.Fatalf("harness: %s not set; call harness.MainJava from TestMain", javaCPEnv)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("harness: read java classpath: %v", err)
	}
	dir := filepath.Dir(file)
	cp := []string{filepath.Join(dir, "test-classes"), filepath.Join(dir, "classes")}
	return strings.Join(append(cp, strings.TrimSpace(string(data))), string(os.PathListSeparator))
}

// lockJavaBuild takes an exclusive flock on targetDir/build.lock, waiting
// for another process's build to finish, and returns its release.
func lockJavaBuild(targetDir string) (func(), error) {
	if err := os.MkdirAll(targetDir, 0o755); err != nil {
		return nil, fmt.Errorf("java build lock: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(targetDir, "build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("java build lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("java build lock: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// javaBuildUpToDate reports whether the classpath file is newer than
// pom.xml and every file under src, so a second test package reuses the
// build the first just made instead of rewriting classes in use.
func javaBuildUpToDate(moduleDir, classpathFile string) bool {
	built, err := os.Stat(classpathFile)
	if err != nil {
		return false
	}
	newer := false
	check := func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if info, err := d.Info(); err != nil || info.ModTime().After(built.ModTime()) {
			newer = true
			return filepath.SkipAll
		}
		return nil
	}
	if err := filepath.WalkDir(filepath.Join(moduleDir, "pom.xml"), check); err != nil {
		return false
	}
	if err := filepath.WalkDir(filepath.Join(moduleDir, "src"), check); err != nil {
		return false
	}
	return !newer
}
