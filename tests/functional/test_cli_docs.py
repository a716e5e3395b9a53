"""What the command says of itself agrees with what it does: --help and
the man page name every option and format, --version, the README's demo
runs, bash completion completes."""
import os
import re
import shlex
import subprocess
from pathlib import Path


from conftest import PYFLAME, abi_order, require, run_pyflame

SOURCE = Path(os.environ.get("PYFLAME_SOURCE_DIR", Path(__file__).parents[2]))

def long_options(text):
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", text))


def test_help_documents_every_option_and_matches_man_page():
    res = run_pyflame(["--help"])
    assert res.returncode == 0
    help_text = res.stdout.decode()
    assert run_pyflame(["-h"]).stdout.decode() == help_text
    # Every option the parser accepts appears in --help...
    source = (SOURCE / "core/src/options.c").read_text()
    accepted = set("--" + o for o in re.findall(r'\{"([a-z-]+)", (?:no|required)_argument', source))
    assert accepted and accepted <= long_options(help_text)
    # ... and in the man page, which names no option that does not exist.
    man = man_page_text()
    man_options = man.split(".SH OPTIONS", 1)[1].split(".SH ", 1)[0]
    assert accepted == long_options(man_options), accepted ^ long_options(man_options)
    shorts = set(re.findall(r'case \'([a-z])\':', source))
    for short in shorts:
        assert f"-{short}," in help_text, short


def man_page_text():
    man = (SOURCE / "docs/pyflame.1").read_text()
    return re.sub(r"\\f[BIRP]", "", man).replace("\\-", "-")


def test_man_page_and_help_name_every_format_and_a_way_to_pictures():
    """Every output plugin built has its line under the man page's FORMATS
    and in --help; -T's documentation points to -f chrome for a picture;
    the flamegraph.pl example works on Debian, where it is not on PATH."""
    formats = [p.name[len("pyflame-output-"):-3]
               for p in (Path(PYFLAME).parent / "plugins").glob("pyflame-output-*.so")]
    assert len(formats) >= 5, formats
    man = man_page_text()
    section = man.split(".SH FORMATS", 1)[1].split(".SH ", 1)[0]
    named = re.findall(r"^\.TP\n\.B (\S+)$", section, re.M)
    assert sorted(named) == sorted(formats), named
    help_text = run_pyflame(["--help"]).stdout.decode()
    for name in formats:
        assert re.search(r"^ +%s +\S" % name, help_text, re.M), name
    for text in (help_text, man.split(".SH OPTIONS", 1)[1].split("--no-line-numbers", 1)[0]):
        t_doc = text.split("--flamechart", 1)[1][:300]
        assert "-f chrome" in t_doc, t_doc
    assert "perl /usr/share/perl5/Devel/NYTProf/flamegraph.pl profile.txt" in man
    assert "libdevel-nytprof-perl" in man
    assert not re.search(r"^ *flamegraph\.pl ", man, re.M)
    # The permissions section covers kernels with and without Yama.
    perms = man.split(".SH PERMISSIONS", 1)[1].split(".SH ", 1)[0]
    assert "/proc/sys/kernel/yama/ptrace_scope" in perms and "without Yama" in perms
    # Usage errors exit 1, and the man page says so.
    assert "1 for a malformed command line" in man


def test_version():
    """Uber's shape, which scripts parse for the ABIs: "pyflame VERSION
    (commit HASH) OS ARCH (ABI list: 27 36 ...)", the plugins found."""
    res = run_pyflame(["--version"])
    assert res.returncode == 0
    assert run_pyflame(["-v"]).stdout == res.stdout
    m = re.fullmatch(r"pyflame \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,40}|unknown)\) "
                     r"\S+ \S+ \(ABI list: ([0-9t ]*)\)\n", res.stdout.decode())
    assert m, res.stdout
    found = sorted(built_abis(), key=abi_order)
    assert m.group(2).split() == found and "27" in found


def built_abis():
    """The ABI plugins of the build: 27 ... 313t ..."""
    return [p.name[len("pyflame-abi-"):-3]
            for p in (Path(PYFLAME).parent / "plugins").glob("pyflame-abi-*.so")]


def readme_block(marker):
    """The command between <!-- MARKER --> and <!-- /MARKER --> in README.md."""
    text = (SOURCE / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- %s -->\s*```\n(.*?)\n```\s*<!-- /%s -->" % (marker, marker),
                      text, re.S)
    assert block, marker
    return block.group(1).strip()


def test_readme_demo_draws_the_demo(tmp_path):
    """The README's first command, from where it runs pyflame on: a flame
    graph of the demo, whose every hot spot has its box and whose samples
    are nearly all Python code (the demo never sleeps)."""
    steps = readme_block("demo-command").split(" && ")
    run = [s for s in steps if s.startswith("build/pyflame ")]
    assert len(run) == 1 and steps[-1] == run[0], steps
    argv = run[0].split()[1:]
    argv[argv.index("tests/demo/demo.py")] = str(SOURCE / "tests/demo/demo.py")
    out = tmp_path / argv[argv.index("-o") + 1]
    argv[argv.index("-o") + 1] = str(out)
    res = run_pyflame(argv, timeout=120, cwd=tmp_path)
    assert res.returncode == 0, res.stderr.decode()
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and svg.rstrip().endswith("</svg>"), svg[:200]
    for func in ("primes_below", "fibonacci", "json_round_trip", "make_records"):
        assert re.search(r"<title>[^<]*demo\.py:%s:\d+ \(" % func, svg), func
    samples = int(re.search(r'data-total="(\d+)"', svg).group(1))
    idle = re.search(r"<title>\(idle\) \(([\d,]+) samples", svg)
    idle = int(idle.group(1).replace(",", "")) if idle else 0
    assert samples >= 50 and idle <= 0.05 * samples, (idle, samples)


COMPLETION = SOURCE / "packaging/bash-completion/pyflame"
BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")


def complete(line):
    """What bash completes at the end of `line`, with pyflame's completion
    loaded over the bash-completion package, as an interactive shell would."""
    script = f"""
source {BASH_COMPLETION}
source {COMPLETION}
COMP_LINE={shlex.quote(line)}; COMP_POINT=${{#COMP_LINE}}
read -ra COMP_WORDS <<< "$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))
_pyflame pyflame "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    env = dict(os.environ, PATH=f"{Path(PYFLAME).parent}:{os.environ['PATH']}")
    res = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    return set(res.stdout.split())


def test_bash_completion():
    """Options from --help, formats and ABIs from --list-plugins, threads
    of -p's process for --tid, and after -t the command's own completion."""
    require(BASH_COMPLETION.exists(), "bash-completion (the package)")
    assert complete("pyflame --thr") == {"--threads", "--thread-names"}
    assert complete("pyflame -f ") == {"folded", "svg", "chrome", "speedscope", "timestamped"}
    assert complete("pyflame --abi 31") == {a for a in built_abis() if a.startswith("31")}
    assert complete("pyflame --abi 314") == {"314", "314t"}
    assert "--list-plugins" in complete("pyflame --")
    assert complete("pyflame -t pyfl") >= {"pyflame"}  # a command, from PATH
    # --tid: the threads of the process of -p, however -p was written.
    threads = set(os.listdir(f"/proc/{os.getpid()}/task"))
    for pid in (f"-p {os.getpid()}", f"--pid={os.getpid()}", f"-p{os.getpid()}"):
        assert complete(f"pyflame {pid} --tid ") == threads, pid
    assert complete("pyflame --tid ") == set()
    assert complete("pyflame --ready-fd ") == set()
