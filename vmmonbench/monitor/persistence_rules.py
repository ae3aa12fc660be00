"""What a configuration means for persistence: one flag per behaviour, each tied to one switch."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vmmonbench.configuration import Configuration, FetchMode, LockMode
from vmmonbench.configuration import Optimization as Opt


class VmListSource(StrEnum):
    """Where a cycle reads the host's VMs from."""

    VMS_VIEW = "vms"  # 3.6: GetVmsRunningOnVds, the heavy view
    MONITORING_VIEW = "vms_monitoring_view"  # 4.0: GetVmsRunningByVds, light view
    DYNAMIC = "vm_dynamic"  # 4.1: GetVmsDynamicRunningOnVds


@dataclass(frozen=True, slots=True)
class PersistenceRules:
    """Concrete behaviour of one configuration (DOMAIN.md section 3 table, row by row)."""

    lock: LockMode
    fetch: FetchMode
    vm_list: VmListSource
    single_vm_from_dynamic: bool
    light_nic_view: bool
    read_host_numa_once: bool
    skip_vm_numa_without_data: bool
    jobs_in_memory: bool
    guest_memory_in_dynamic: bool
    guest_nics_hash_from_db: bool
    hash_is_dynamic_field: bool
    device_hash_cache: bool
    statistics_history: bool
    validate_checkout: bool

    @classmethod
    def of(cls, config: Configuration) -> PersistenceRules:
        """Derive the rules: no optimization gives the 3.6 legacy behaviour."""
        on = config.has
        if on(Opt.DYNAMIC_ONLY_READ):
            vm_list = VmListSource.DYNAMIC
        elif on(Opt.LIGHT_VIEWS):
            vm_list = VmListSource.MONITORING_VIEW
        else:
            vm_list = VmListSource.VMS_VIEW
        return cls(
            lock=config.lock,
            fetch=config.fetch,
            vm_list=vm_list,
            single_vm_from_dynamic=on(Opt.DYNAMIC_ONLY_READ),
            light_nic_view=on(Opt.LIGHT_VIEWS),
            read_host_numa_once=on(Opt.HOST_NUMA_MEMO),
            skip_vm_numa_without_data=on(Opt.VM_NUMA_SKIP),
            jobs_in_memory=on(Opt.JOBS_IN_MEMORY),
            guest_memory_in_dynamic=not on(Opt.DYNAMIC_UPDATES),
            guest_nics_hash_from_db=on(Opt.DYNAMIC_UPDATES),
            hash_is_dynamic_field=not on(Opt.DYNAMIC_UPDATES),
            device_hash_cache=on(Opt.DEVICES_SPLIT),
            statistics_history=not on(Opt.STATS_IN_MEMORY),
            validate_checkout=not on(Opt.NO_SELECT_1),
        )
