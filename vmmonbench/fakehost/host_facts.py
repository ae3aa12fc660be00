"""What an engine asks of a host itself: capabilities, hardware, host statistics, host devices, XML.

The shapes follow VDSM's schema (vdsm-api.yml) and the field set ovirt-vdsmfake's engines
accepted; values derive from the host's inventory, so a host is the same on every start.
"""

from __future__ import annotations

import random
import time
import uuid
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from vmmonbench.fakehost.vmstate import VmState
from vmmonbench.inventory import HostSpec

# oVirt 4.2 .. 4.8 cluster levels and the engines that manage them
CLUSTER_LEVELS = ("4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8")
SUPPORTED_ENGINES = ("4.2", "4.3", "4.4", "4.5")
MANAGEMENT_NETWORK = "ovirtmgmt"
MANAGEMENT_NIC = "eth0"
SOCKETS = 2
CORES_PER_SOCKET = 16
THREADS_PER_CORE = 2
CPU_MODEL = "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz"
# the engine matches a cluster's CPU type against the `model_*` flags
CPU_FLAGS = (
    "fpu,vme,de,pse,tsc,msr,pae,mce,cx8,apic,sep,mtrr,pge,mca,cmov,pat,pse36,clflush,mmx,fxsr,"
    "sse,sse2,ss,ht,syscall,nx,pdpe1gb,rdtscp,lm,constant_tsc,nopl,xtopology,pni,pclmulqdq,"
    "vmx,ssse3,fma,cx16,pcid,sse4_1,sse4_2,x2apic,movbe,popcnt,aes,xsave,avx,f16c,rdrand,"
    "hypervisor,lahf_lm,abm,3dnowprefetch,fsgsbase,bmi1,hle,avx2,smep,bmi2,erms,invpcid,rtm,"
    "mpx,avx512f,avx512dq,rdseed,adx,smap,clflushopt,clwb,avx512cd,avx512bw,avx512vl,xsaveopt,"
    "xsavec,xgetbv1,arat,pku,ospke,spec_ctrl,ssbd,model_Nehalem,model_Westmere,"
    "model_SandyBridge,model_IvyBridge,model_Haswell-noTSX,model_Haswell,model_Broadwell-noTSX,"
    "model_Broadwell,model_Skylake-Client,model_Skylake-Server,model_Skylake-Server-IBRS,"
    "model_Skylake-Server-noTSX-IBRS,model_qemu64,model_kvm64,model_qemu32,model_kvm32"
)
EMULATED_MACHINES = (
    "pc-i440fx-rhel7.6.0",
    "pc-q35-rhel8.6.0",
    "pc-q35-rhel9.2.0",
    "pc",
    "q35",
)
MIN_MEMORY_MB = 65_536
SOFTWARE = {
    "vdsm": ("4.50.5.1", "1.el9"),
    "libvirt": ("9.5.0", "7.el9"),
    "qemu-kvm": ("8.0.0", "16.el9"),
    "qemu-img": ("8.0.0", "16.el9"),
    "kernel": ("5.14.0", "391.el9.x86_64"),
    "spice-server": ("0.15.1", "1.el9"),
    "mom": ("0.6.5", "1.el9"),
}
BOOT_WALL_S = 1_700_000_000.0  # a fixed wall-clock boot time: host statistics never depend on now


def _ip(index: int) -> str:
    return f"192.168.{index // 250 % 250}.{10 + index % 250}"


def _mac(index: int) -> str:
    return f"52:54:00:{index >> 16 & 0xFF:02x}:{index >> 8 & 0xFF:02x}:{index & 0xFF:02x}"


def _online_cpus() -> list[int]:
    return list(range(SOCKETS * CORES_PER_SOCKET * THREADS_PER_CORE))


def memory_mb(spec: HostSpec) -> int:
    """Host memory: what its VMs are given plus a tenth, at least 64 GiB."""
    return max(MIN_MEMORY_MB, sum(vm.mem_mb for vm in spec.vms) * 11 // 10)


def capabilities(spec: HostSpec) -> dict[str, Any]:
    """Host.getCapabilities: a VdsmCapabilities map an engine's host validation accepts."""
    cpus = _online_cpus()
    per_node = len(cpus) // SOCKETS
    address = _ip(spec.index)
    no_addresses: dict[str, Any] = {
        "dhcpv4": False,
        "dhcpv6": False,
        "ipv6addrs": [],
        "ipv6gateway": "::",
        "ipv4addrs": [],
        "addr": "",
        "netmask": "",
    }
    management = {
        **no_addresses,
        "addr": address,
        "netmask": "255.255.255.0",
        "ipv4addrs": [f"{address}/24"],
        "gateway": "192.168.0.1",
        "ipv4defaultroute": True,
        "mtu": "1500",
        "stp": "off",
        "ports": [MANAGEMENT_NIC],
        "bridged": True,
        "iface": MANAGEMENT_NETWORK,
        "switch": "legacy",
    }
    return {
        "HBAInventory": {"FC": [], "iSCSI": [{"InitiatorName": _iqn(spec)}]},
        "ISCSIInitiatorName": _iqn(spec),
        "additionalFeatures": [],
        "autoNumaBalancing": 1,
        "bondings": {},
        "bridges": {MANAGEMENT_NETWORK: {k: v for k, v in management.items() if k != "bridged"}},
        "clusterLevels": list(CLUSTER_LEVELS),
        "cpuCores": str(SOCKETS * CORES_PER_SOCKET),
        "cpuFlags": CPU_FLAGS,
        "cpuModel": CPU_MODEL,
        "cpuSockets": str(SOCKETS),
        "cpuSpeed": "2100.000",
        "cpuThreads": str(len(cpus)),
        "cpuTopology": [
            {
                "cpu_id": cpu,
                "numa_cell_id": cpu // per_node,
                "socket_id": cpu // per_node,
                "die_id": 0,
                "core_id": cpu % CORES_PER_SOCKET,
            }
            for cpu in cpus
        ],
        "emulatedMachines": list(EMULATED_MACHINES),
        "guestOverhead": "65",
        "hostdevPassthrough": "false",
        "kdumpStatus": 0,
        "kvmEnabled": "true",
        "lastClientIface": MANAGEMENT_NETWORK,
        "memSize": str(memory_mb(spec)),
        "nameservers": ["192.168.0.1"],
        "netConfigDirty": "False",
        "networks": {MANAGEMENT_NETWORK: management},
        "nics": {
            MANAGEMENT_NIC: {
                **no_addresses,
                "hwaddr": _mac(spec.index),
                "speed": 10_000,
                "mtu": "1500",
            }
        },
        "numaNodeDistance": {
            str(node): [10 if node == other else 21 for other in range(SOCKETS)]
            for node in range(SOCKETS)
        },
        "numaNodes": {
            str(node): {
                "cpus": cpus[node * per_node : (node + 1) * per_node],
                "totalMemory": str(memory_mb(spec) // SOCKETS),
                "hugepages": {"2048": {"totalPages": "0"}, "1048576": {"totalPages": "0"}},
            }
            for node in range(SOCKETS)
        },
        "onlineCpus": ",".join(str(cpu) for cpu in cpus),
        "operatingSystem": {
            "name": "RHEL",
            "release": "1.el9",
            "version": "9",
            "pretty_name": "vmmonbench fake host (RHEL 9 shaped)",
        },
        "packages2": {
            name: {"version": version, "release": release}
            for name, (version, release) in SOFTWARE.items()
        },
        "reservedMem": "321",
        "rngSources": ["random", "hwrng"],
        "selinux": {"mode": "1"},
        "software_revision": SOFTWARE["vdsm"][1],
        "software_version": SOFTWARE["vdsm"][0],
        "supportedENGINEs": list(SUPPORTED_ENGINES),
        "supportsIPv6": True,
        "uuid": str(uuid.UUID(spec.id)).upper(),
        "vdsmToCpusAffinity": [1],
        "version_name": "Snow Man",
        "vlans": {},
        "vmTypes": ["kvm"],
        "vncEncrypted": "false",
        "liveMerge": "true",
        "liveSnapshot": "true",
        "hooks": {},
        "backupEnabled": True,
        "fipsEnabled": False,
        "hostedEngineDeployed": False,
    }


def _iqn(spec: HostSpec) -> str:
    return f"iqn.1994-05.com.redhat:{spec.id[:12]}"


def hardware_info(spec: HostSpec) -> dict[str, Any]:
    """Host.getHardwareInfo: HardwareInformation."""
    return {
        "systemManufacturer": "vmmonbench",
        "systemProductName": "Fake VDSM host",
        "systemVersion": "1",
        "systemFamily": "fake",
        "systemSerialNumber": f"VMB{spec.index:07d}",
        "systemUUID": str(uuid.UUID(spec.id)).upper(),
    }


def host_devices(spec: HostSpec) -> dict[str, Any]:
    """Host.hostdevListByCaps: the computer and a few PCI functions (none assignable)."""
    devices: dict[str, Any] = {
        "computer": {"params": {"capability": "system", "is_assignable": "false"}}
    }
    for slot in range(4):
        devices[f"pci_0000_00_{slot:02x}_0"] = {
            "params": {
                "capability": "pci",
                "is_assignable": "false",
                "parent": "computer",
                "vendor": "Intel Corporation",
                "vendor_id": "0x8086",
                "product": "C620 Series Chipset",
                "product_id": f"0xa1{slot:02x}",
                "address": {"domain": "0", "bus": "0", "slot": str(slot), "function": "0"},
                "numa_node": "0",
            }
        }
    return devices


class HostStatistics:
    """Host.getStats: seeded CPU and memory figures around the VMs' load; new on every call."""

    def __init__(self, spec: HostSpec, seed: str, boot_s: float) -> None:
        self._spec = spec
        self._random = random.Random(f"{seed}:host-stats")
        self._boot_s = boot_s

    def sample(self, vms: list[VmState], now_s: float) -> dict[str, Any]:
        """One HostStats map for the VMs as they are now."""
        draw = self._random.random
        user, system = 5 + 20 * draw(), 1 + 4 * draw()
        idle = max(0.0, 100 - user - system)
        total_mb = memory_mb(self._spec)
        running = [vm for vm in vms if not vm.is_down and not vm.destroyed]
        used_mb = sum(vm.spec.mem_mb for vm in running)
        free_mb = max(0, total_mb - used_mb)
        elapsed = max(0, int(now_s - self._boot_s))
        cpus = _online_cpus()
        per_node = len(cpus) // SOCKETS
        return {
            "anonHugePages": "0",
            "cpuIdle": f"{idle:.2f}",
            "cpuLoad": f"{(user + system) / 100 * len(cpus):.2f}",
            "cpuStatistics": {
                str(cpu): {
                    "cpuSys": f"{system:.2f}",
                    "cpuUser": f"{user:.2f}",
                    "cpuIdle": f"{idle:.2f}",
                    "nodeIndex": cpu // per_node,
                }
                for cpu in cpus
            },
            "cpuSys": f"{system:.2f}",
            "cpuSysVdsmd": "0.25",
            "cpuUser": f"{user:.2f}",
            "cpuUserVdsmd": "0.50",
            "dateTime": time.strftime("%Y-%m-%dT%H:%M:%S GMT", time.gmtime(BOOT_WALL_S + elapsed)),
            "diskStats": {"/var/log": {"free": "44231"}, "/tmp": {"free": "44231"}},
            "elapsedTime": str(elapsed),
            "haStats": {
                "configured": False,
                "score": 0,
                "localMaintenance": False,
                "globalMaintenance": False,
                "active": False,
            },
            "incomingVmMigrations": 0,
            "ksmCpu": 0,
            "ksmMergeAcrossNodes": True,
            "ksmPages": 100,
            "ksmState": False,
            "memFree": free_mb,
            "memShared": 0,
            "memUsed": str(round(100 * used_mb / total_mb)),
            "momStatus": "active",
            "netConfigDirty": "False",
            "network": {
                MANAGEMENT_NIC: {
                    "name": MANAGEMENT_NIC,
                    "state": "up",
                    "speed": "10000",
                    "rx": str(int(elapsed * 125_000 * draw())),
                    "tx": str(int(elapsed * 125_000 * draw())),
                    "rxErrors": "0",
                    "txErrors": "0",
                    "rxDropped": "0",
                    "txDropped": "0",
                    "sampleTime": float(now_s),
                }
            },
            "numaNodeMemFree": {
                str(node): {
                    "memFree": str(free_mb // SOCKETS),
                    "memPercent": round(100 * used_mb / total_mb),
                    "hugepages": {"2048": {"freePages": "0"}},
                }
                for node in range(SOCKETS)
            },
            "outgoingVmMigrations": 0,
            "rxDropped": "0",
            "storageDomains": {},
            "swapFree": 16_383,
            "swapTotal": 16_383,
            "thpState": "always",
            "txDropped": "0",
            "vmActive": sum(vm.status == "Up" for vm in running),
            "vmCount": len(running),
            "vmMigrating": 0,
            "bootTime": str(int(BOOT_WALL_S)),
        }


def domain_xml(vm: VmState) -> str:
    """Host.dumpxmls: a libvirt domain XML for one VM, with its devices' aliases and addresses."""
    spec = vm.spec
    devices = []
    for device in vm.devices_wire():
        address = device.get("address") or {}
        attributes = " ".join(
            f"{name}={quoteattr(str(value))}" for name, value in sorted(address.items())
        )
        devices.append(
            f"    <{escape(device['type'])} device={quoteattr(device['device'])}>"
            f"<alias name={quoteattr(device['alias'])}/>"
            + (f"<address {attributes}/>" if attributes else "")
            + f"</{escape(device['type'])}>"
        )
    body = "\n".join(devices)
    return (
        f"<domain type='kvm' id='{spec.index + 1}'>\n"
        f"  <name>{escape(spec.name)}</name>\n"
        f"  <uuid>{spec.id}</uuid>\n"
        f"  <memory unit='KiB'>{spec.mem_mb * 1024}</memory>\n"
        f"  <vcpu placement='static'>{spec.cpus}</vcpu>\n"
        f"  <devices>\n{body}\n  </devices>\n"
        "</domain>\n"
    )
