-- vm_dynamic, vm_statistics and the VM reads monitoring makes (engine: vms_sp.sql)

-- 3.6: every VM on a host from the heavy `vms` view; DISTINCT as the engine wrote it
CREATE OR REPLACE FUNCTION GetVmsRunningOnVds(v_vds_id UUID)
RETURNS SETOF vms STABLE AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT DISTINCT vms.*
    FROM vms
    WHERE run_on_vds = v_vds_id;
END;$PROCEDURE$
LANGUAGE plpgsql;

-- 4.0: the light monitoring view
CREATE OR REPLACE FUNCTION GetVmsRunningByVds(v_vds_id UUID)
RETURNS SETOF vms_monitoring_view STABLE AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT vms_monitoring_view.*
    FROM vms_monitoring_view
    WHERE run_on_vds = v_vds_id;
END;$PROCEDURE$
LANGUAGE plpgsql;

-- 4.1: vm_dynamic only
CREATE OR REPLACE FUNCTION GetVmsDynamicRunningOnVds(v_vds_id UUID)
RETURNS SETOF vm_dynamic STABLE AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT vm_dynamic.*
    FROM vm_dynamic
    WHERE run_on_vds = v_vds_id;
END;$PROCEDURE$
LANGUAGE plpgsql;

-- one VM from the heavy view, behind the permission check (monitoring calls it unfiltered)
CREATE OR REPLACE FUNCTION GetVmByVmGuid(
    v_vm_guid UUID,
    v_user_id UUID DEFAULT NULL,
    v_is_filtered BOOLEAN DEFAULT FALSE
    )
RETURNS SETOF vms STABLE AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT DISTINCT vms.*
    FROM vms
    WHERE vm_guid = v_vm_guid
        AND (
            NOT v_is_filtered
            OR EXISTS (
                SELECT 1
                FROM user_vm_permissions_view
                WHERE user_id = v_user_id
                    AND entity_id = v_vm_guid
                )
            );
END;$PROCEDURE$
LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION GetVmDynamicByVmGuid(v_vm_guid UUID)
RETURNS SETOF vm_dynamic STABLE AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT vm_dynamic.*
    FROM vm_dynamic
    WHERE vm_guid = v_vm_guid;
END;$PROCEDURE$
LANGUAGE plpgsql;

-- 4.1 devices monitoring fills its hash cache from this once
CREATE OR REPLACE FUNCTION GetAllHashesFromVmDynamic()
RETURNS TABLE (vm_guid UUID, hash VARCHAR(30)) STABLE AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT vm_dynamic.vm_guid, vm_dynamic.hash
    FROM vm_dynamic;
END;$PROCEDURE$
LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION SetHashByVmGuid(
    v_vm_guid UUID,
    v_hash VARCHAR(30)
    )
RETURNS VOID AS $PROCEDURE$
BEGIN
    UPDATE vm_dynamic
    SET hash = v_hash
    WHERE vm_guid = v_vm_guid;
END;$PROCEDURE$
LANGUAGE plpgsql;

-- the whole row, as the engine writes every changed VM's dynamic data
CREATE OR REPLACE FUNCTION UpdateVmDynamic(
    v_status INTEGER,
    v_vm_ip TEXT,
    v_vm_host VARCHAR(255),
    v_vm_pid INTEGER,
    v_last_start_time TIMESTAMP WITH TIME ZONE,
    v_last_stop_time TIMESTAMP WITH TIME ZONE,
    v_guest_cur_user_name VARCHAR(255),
    v_guest_os VARCHAR(255),
    v_run_on_vds UUID,
    v_migrating_to_vds UUID,
    v_app_list TEXT,
    v_acpi_enable BOOLEAN,
    v_session INTEGER,
    v_kvm_enable BOOLEAN,
    v_utc_diff INTEGER,
    v_last_vds_run_on UUID,
    v_client_ip VARCHAR(255),
    v_guest_requested_memory INTEGER,
    v_boot_sequence INTEGER,
    v_exit_status INTEGER,
    v_pause_status INTEGER,
    v_exit_message VARCHAR(4000),
    v_exit_reason INTEGER,
    v_hash VARCHAR(30),
    v_console_user_id UUID,
    v_guest_agent_nics_hash INTEGER,
    v_console_cur_user_name VARCHAR(255),
    v_last_watchdog_event BIGINT,
    v_last_watchdog_action VARCHAR(8),
    v_is_run_once BOOLEAN,
    v_vm_fqdn TEXT,
    v_cpu_name VARCHAR(255),
    v_emulated_machine VARCHAR(255),
    v_current_cd VARCHAR(4000),
    v_reason TEXT,
    v_guest_cpu_count INTEGER,
    v_display INTEGER,
    v_display_secure_port INTEGER,
    v_display_ip VARCHAR(255),
    v_display_type INTEGER,
    v_spice_driver_version TEXT,
    v_guest_timezone_offset INTEGER,
    v_guest_timezone_name VARCHAR(255),
    v_guestos_arch INTEGER,
    v_guestos_codename VARCHAR(255),
    v_guestos_distribution VARCHAR(255),
    v_guestos_kernel_version VARCHAR(255),
    v_guestos_type VARCHAR(255),
    v_guestos_version VARCHAR(255),
    v_guest_mem_free BIGINT,
    v_guest_mem_buffered BIGINT,
    v_guest_mem_cached BIGINT,
    v_vm_guid UUID
    )
RETURNS VOID AS $PROCEDURE$
BEGIN
    UPDATE vm_dynamic
    SET status = v_status,
        vm_ip = v_vm_ip,
        vm_host = v_vm_host,
        vm_pid = v_vm_pid,
        last_start_time = v_last_start_time,
        last_stop_time = v_last_stop_time,
        guest_cur_user_name = v_guest_cur_user_name,
        guest_os = v_guest_os,
        run_on_vds = v_run_on_vds,
        migrating_to_vds = v_migrating_to_vds,
        app_list = v_app_list,
        acpi_enable = v_acpi_enable,
        session = v_session,
        kvm_enable = v_kvm_enable,
        utc_diff = v_utc_diff,
        last_vds_run_on = v_last_vds_run_on,
        client_ip = v_client_ip,
        guest_requested_memory = v_guest_requested_memory,
        boot_sequence = v_boot_sequence,
        exit_status = v_exit_status,
        pause_status = v_pause_status,
        exit_message = v_exit_message,
        exit_reason = v_exit_reason,
        hash = v_hash,
        console_user_id = v_console_user_id,
        guest_agent_nics_hash = v_guest_agent_nics_hash,
        console_cur_user_name = v_console_cur_user_name,
        last_watchdog_event = v_last_watchdog_event,
        last_watchdog_action = v_last_watchdog_action,
        is_run_once = v_is_run_once,
        vm_fqdn = v_vm_fqdn,
        cpu_name = v_cpu_name,
        emulated_machine = v_emulated_machine,
        current_cd = v_current_cd,
        reason = v_reason,
        guest_cpu_count = v_guest_cpu_count,
        display = v_display,
        display_secure_port = v_display_secure_port,
        display_ip = v_display_ip,
        display_type = v_display_type,
        spice_driver_version = v_spice_driver_version,
        guest_timezone_offset = v_guest_timezone_offset,
        guest_timezone_name = v_guest_timezone_name,
        guestos_arch = v_guestos_arch,
        guestos_codename = v_guestos_codename,
        guestos_distribution = v_guestos_distribution,
        guestos_kernel_version = v_guestos_kernel_version,
        guestos_type = v_guestos_type,
        guestos_version = v_guestos_version,
        guest_mem_free = v_guest_mem_free,
        guest_mem_buffered = v_guest_mem_buffered,
        guest_mem_cached = v_guest_mem_cached,
        _update_date = LOCALTIMESTAMP
    WHERE vm_guid = v_vm_guid;
END;$PROCEDURE$
LANGUAGE plpgsql;

-- UpdateVmStatistics, 3.6: with the usage history lists
CREATE OR REPLACE FUNCTION UpdateVmStatistics(
    v_cpu_user NUMERIC(18, 2),
    v_cpu_sys NUMERIC(18, 2),
    v_elapsed_time NUMERIC(18, 0),
    v_usage_network_percent INTEGER,
    v_usage_mem_percent INTEGER,
    v_usage_cpu_percent INTEGER,
    v_disks_usage TEXT,
    v_migration_progress_percent INTEGER,
    v_cpu_usage_history TEXT,
    v_memory_usage_history TEXT,
    v_network_usage_history TEXT,
    v_vm_guid UUID
    )
RETURNS VOID AS $PROCEDURE$
BEGIN
    UPDATE vm_statistics
    SET cpu_user = v_cpu_user,
        cpu_sys = v_cpu_sys,
        elapsed_time = v_elapsed_time,
        usage_network_percent = v_usage_network_percent,
        usage_mem_percent = v_usage_mem_percent,
        usage_cpu_percent = v_usage_cpu_percent,
        disks_usage = v_disks_usage,
        migration_progress_percent = v_migration_progress_percent,
        cpu_usage_history = v_cpu_usage_history,
        memory_usage_history = v_memory_usage_history,
        network_usage_history = v_network_usage_history,
        _update_date = LOCALTIMESTAMP
    WHERE vm_guid = v_vm_guid;
END;$PROCEDURE$
LANGUAGE plpgsql;

-- UpdateVmStatistics, released 4.1: guest memory moved here (without guest_mem_free), history kept in memory
CREATE OR REPLACE FUNCTION UpdateVmStatistics(
    v_cpu_user NUMERIC(18, 2),
    v_cpu_sys NUMERIC(18, 2),
    v_elapsed_time NUMERIC(18, 0),
    v_usage_network_percent INTEGER,
    v_usage_mem_percent INTEGER,
    v_usage_cpu_percent INTEGER,
    v_disks_usage TEXT,
    v_guest_mem_buffered BIGINT,
    v_guest_mem_cached BIGINT,
    v_vm_guid UUID
    )
RETURNS VOID AS $PROCEDURE$
BEGIN
    UPDATE vm_statistics
    SET cpu_user = v_cpu_user,
        cpu_sys = v_cpu_sys,
        elapsed_time = v_elapsed_time,
        usage_network_percent = v_usage_network_percent,
        usage_mem_percent = v_usage_mem_percent,
        usage_cpu_percent = v_usage_cpu_percent,
        disks_usage = v_disks_usage,
        guest_mem_buffered = v_guest_mem_buffered,
        guest_mem_cached = v_guest_mem_cached,
        _update_date = LOCALTIMESTAMP
    WHERE vm_guid = v_vm_guid;
END;$PROCEDURE$
LANGUAGE plpgsql;

-- UpdateVmStatistics, history kept in memory, guest memory still in vm_dynamic (the switch alone)
CREATE OR REPLACE FUNCTION UpdateVmStatistics(
    v_cpu_user NUMERIC(18, 2),
    v_cpu_sys NUMERIC(18, 2),
    v_elapsed_time NUMERIC(18, 0),
    v_usage_network_percent INTEGER,
    v_usage_mem_percent INTEGER,
    v_usage_cpu_percent INTEGER,
    v_disks_usage TEXT,
    v_vm_guid UUID
    )
RETURNS VOID AS $PROCEDURE$
BEGIN
    UPDATE vm_statistics
    SET cpu_user = v_cpu_user,
        cpu_sys = v_cpu_sys,
        elapsed_time = v_elapsed_time,
        usage_network_percent = v_usage_network_percent,
        usage_mem_percent = v_usage_mem_percent,
        usage_cpu_percent = v_usage_cpu_percent,
        disks_usage = v_disks_usage,
        _update_date = LOCALTIMESTAMP
    WHERE vm_guid = v_vm_guid;
END;$PROCEDURE$
LANGUAGE plpgsql;

-- UpdateVmStatistics, guest memory moved here, history still written (the switch alone)
CREATE OR REPLACE FUNCTION UpdateVmStatistics(
    v_cpu_user NUMERIC(18, 2),
    v_cpu_sys NUMERIC(18, 2),
    v_elapsed_time NUMERIC(18, 0),
    v_usage_network_percent INTEGER,
    v_usage_mem_percent INTEGER,
    v_usage_cpu_percent INTEGER,
    v_disks_usage TEXT,
    v_migration_progress_percent INTEGER,
    v_cpu_usage_history TEXT,
    v_memory_usage_history TEXT,
    v_network_usage_history TEXT,
    v_guest_mem_buffered BIGINT,
    v_guest_mem_cached BIGINT,
    v_vm_guid UUID
    )
RETURNS VOID AS $PROCEDURE$
BEGIN
    UPDATE vm_statistics
    SET cpu_user = v_cpu_user,
        cpu_sys = v_cpu_sys,
        elapsed_time = v_elapsed_time,
        usage_network_percent = v_usage_network_percent,
        usage_mem_percent = v_usage_mem_percent,
        usage_cpu_percent = v_usage_cpu_percent,
        disks_usage = v_disks_usage,
        migration_progress_percent = v_migration_progress_percent,
        cpu_usage_history = v_cpu_usage_history,
        memory_usage_history = v_memory_usage_history,
        network_usage_history = v_network_usage_history,
        guest_mem_buffered = v_guest_mem_buffered,
        guest_mem_cached = v_guest_mem_cached,
        _update_date = LOCALTIMESTAMP
    WHERE vm_guid = v_vm_guid;
END;$PROCEDURE$
LANGUAGE plpgsql;
