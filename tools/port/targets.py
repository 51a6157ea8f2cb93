"""How each target of `tools/ipcconf port` runs the runner (port_init) inside itself.

A target gets the stage folder (port_init, plan.txt, the portable binary, the probes) and returns
the command that runs port_init inside it, with what the run needs (environment, stdin). Every
target streams port_init's framed lines back on standard output (port_init.cc).
"""

import dataclasses
import glob
import os
import shutil
import stat
from typing import Dict, List, Optional

# Debian packages each target needs (tools/ipcconf installs them).
PACKAGES = {
    "native": [],
    "qemu-user": ["qemu-user"],
    "runsc": ["runsc"],
    "uml": ["user-mode-linux"],
    "qemu-system": ["qemu-system-x86", "linux-image-amd64"],
}

# How long a whole run inside each target may take (TCG emulates every instruction).
BOUND_SECONDS = {"native": 300, "qemu-user": 900, "runsc": 900, "uml": 900,
                 "qemu-system": 1800, "wrapper": 1800}


class TargetError(Exception):
    """The target cannot start here: one line saying why and what to do."""


@dataclasses.dataclass
class Launch:
    argv: List[str]
    env: Dict[str, str]
    description: str  # what runs, said before it does ("gVisor (runsc, ptrace platform)")


def _need(program: str, package: str) -> str:
    path = shutil.which(program)
    if not path:
        raise TargetError(f"no {program} here (Debian package {package}); "
                          f"tools/ipcconf port installs it when it can run apt-get")
    return path


def _kernel(requested: Optional[str]) -> str:
    if requested:
        if not os.path.isfile(requested):
            raise TargetError(f"no kernel image {requested}")
        return requested
    kernels = sorted(glob.glob("/boot/vmlinuz-*"))
    if not kernels:
        raise TargetError("no kernel in /boot (Debian package linux-image-amd64), and none "
                          "given with --under qemu-system=KERNEL")
    return kernels[-1]


def _cpio_newc(stage: str, out: str) -> None:
    """An initramfs (cpio "newc") of the stage folder (the kernel runs /port_init)."""
    entries = []
    for root, dirs, files in os.walk(stage):
        for name in sorted(dirs) + sorted(files):
            path = os.path.join(root, name)
            entries.append((os.path.relpath(path, stage), path))
    with open(out, "wb") as f:
        def record(name: str, mode: int, data: bytes, ino: int) -> None:
            name_bytes = name.encode() + b"\0"
            header = "070701" + "".join(f"{v:08X}" for v in (
                ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_bytes), 0))
            f.write(header.encode() + name_bytes)
            f.write(b"\0" * (-(110 + len(name_bytes)) % 4))
            f.write(data)
            f.write(b"\0" * (-len(data) % 4))
        for ino, (name, path) in enumerate(entries, start=1):
            st = os.stat(path)
            if stat.S_ISDIR(st.st_mode):
                record(name, stat.S_IFDIR | 0o755, b"", ino)
            else:
                with open(path, "rb") as src:
                    record(name, stat.S_IFREG | (st.st_mode & 0o777), src.read(), ino)
        record("TRAILER!!!", 0, b"", 0)


def check(target: str, kernel: Optional[str]) -> None:
    """Raises TargetError when the target cannot start here (before anything runs)."""
    needs = {"qemu-user": [("qemu-x86_64", "qemu-user")], "runsc": [("runsc", "runsc")],
             "uml": [("linux.uml", "user-mode-linux")],
             "qemu-system": [("qemu-system-x86_64", "qemu-system-x86")]}
    if target not in PACKAGES and target != "wrapper":
        raise TargetError(f"unknown target '{target}' (the targets: "
                          f"{', '.join(sorted(PACKAGES))}, or -- COMMAND...)")
    for program, package in needs.get(target, []):
        _need(program, package)
    if target == "qemu-system":
        _kernel(kernel)


def command_prefix(target: str) -> List[str]:
    """What each command of the plan runs under: qemu-user does not follow exec(), so every
    command, and every re-exec of the binary (IPCCONF_EXEC_WRAPPER), goes through it."""
    return [_need("qemu-x86_64", "qemu-user")] if target == "qemu-user" else []


def launch(target: str, stage: str, kernel: Optional[str], wrapper: List[str],
           kvm: bool) -> Launch:
    """The command running port_init of the staged folder inside the target."""
    init = os.path.join(stage, "port_init")
    if target == "native":
        return Launch([init], {}, "this machine, natively")
    if target == "wrapper":
        return Launch(wrapper + [init], {}, "under " + " ".join(wrapper))
    if target == "qemu-user":
        qemu = _need("qemu-x86_64", "qemu-user")
        return Launch([init], {"IPCCONF_EXEC_WRAPPER": qemu}, "qemu-user (" + qemu + ")")
    if target == "runsc":
        runsc = _need("runsc", "runsc")
        return Launch([runsc, "--network=none", "--platform=ptrace", "do", init], {},
                      "gVisor (runsc do, ptrace platform; the sandbox's writes stay in its "
                      "overlay, so results come back on standard output)")
    if target == "uml":
        uml = _need("linux.uml", "user-mode-linux")
        return Launch([uml, "mem=2048M", "root=/dev/root", "rootfstype=hostfs", "rootflags=/",
                       "rw", "init=" + init, "con=null", "con0=fd:0,fd:1", "quiet"], {},
                      "User-Mode Linux (" + uml + ", this machine's / as its root by hostfs)")
    if target == "qemu-system":
        qemu = _need("qemu-system-x86_64", "qemu-system-x86")
        image = _kernel(kernel)
        initrd = os.path.join(os.path.dirname(stage), "initramfs.cpio")
        _cpio_newc(stage, initrd)
        accel = ["-accel", "kvm", "-cpu", "host"] if kvm else ["-accel", "tcg"]
        how = ("KVM" if kvm else "TCG, every instruction emulated (--kvm to try KVM; a nested "
               "KVM may hang)")
        return Launch([qemu, "-m", "2048", "-smp", "2", "-nographic", "-no-reboot",
                       "-kernel", image, "-initrd", initrd, *accel,
                       "-append", "console=ttyS0 quiet loglevel=0 rdinit=/port_init panic=-1"],
                      {}, f"qemu-system-x86_64 booting {image} ({how})")
    raise TargetError(f"unknown target '{target}' (the targets: "
                      f"{', '.join(sorted(PACKAGES))}, or -- COMMAND...)")


if __name__ == "__main__":  # `targets.py packages TARGET`: what tools/ipcconf installs for it
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "packages":
        name = sys.argv[2].split("=")[0]
        if name in PACKAGES:
            print(" ".join(PACKAGES[name]))
            sys.exit(0)
        print(f"ipcconf port: unknown target '{name}' (the targets: "
              f"{', '.join(sorted(PACKAGES))}, or -- COMMAND...)", file=sys.stderr)
        sys.exit(2)
    print("usage: targets.py packages TARGET", file=sys.stderr)
    sys.exit(2)
