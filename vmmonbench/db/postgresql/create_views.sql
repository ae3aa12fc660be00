-- The views monitoring reads, as the engine defines them (engine: create_views.sql)

-- the engine reads a VM's vCPU count as an attribute: vm_static.fn_get_num_of_vcpus
CREATE OR REPLACE FUNCTION fn_get_num_of_vcpus(v_vm_static vm_static)
RETURNS INTEGER IMMUTABLE AS $FUNCTION$
    SELECT v_vm_static.num_of_sockets * v_vm_static.cpu_per_socket;
$FUNCTION$
LANGUAGE sql;

-- who may see which VM: the permission check of the filtered reads
CREATE OR REPLACE VIEW user_vm_permissions_view AS

SELECT DISTINCT permissions.object_id AS entity_id,
    permissions.ad_element_id AS user_id
FROM permissions
WHERE permissions.object_type_id = 2;

CREATE OR REPLACE VIEW vm_pool_map_view AS

SELECT vm_pool_map.vm_guid AS vm_guid,
    vm_pool_map.vm_pool_id AS vm_pool_id,
    vm_pools.vm_pool_name AS vm_pool_name,
    vm_pools.spice_proxy AS vm_pool_spice_proxy
FROM vm_pool_map
INNER JOIN vm_pools
    ON vm_pool_map.vm_pool_id = vm_pools.vm_pool_id;

-- 3.6: everything about a VM in one row: static, dynamic and statistics data, its template,
-- cluster, data center, quota, pool, host and snapshot state
CREATE OR REPLACE VIEW vms AS

SELECT vm_static.vm_name AS vm_name,
    vm_static.mem_size_mb AS mem_size_mb,
    vm_static.nice_level AS nice_level,
    vm_static.vmt_guid AS vmt_guid,
    vm_static.os AS os,
    vm_static.description AS description,
    vm_static.free_text_comment AS free_text_comment,
    vm_static.cluster_id AS cluster_id,
    vm_static.creation_date AS creation_date,
    vm_static.auto_startup AS auto_startup,
    vm_static.is_stateless AS is_stateless,
    vm_static.is_delete_protected AS is_delete_protected,
    vm_static.fail_back AS fail_back,
    vm_static.default_boot_sequence AS default_boot_sequence,
    vm_static.vm_type AS vm_type,
    vm_static.vm_guid AS vm_guid,
    vm_static.num_of_monitors AS num_of_monitors,
    vm_static.is_initialized AS is_initialized,
    vm_static.num_of_sockets AS num_of_sockets,
    vm_static.cpu_per_socket AS cpu_per_socket,
    vm_static.usb_policy AS usb_policy,
    vm_static.quota_id AS quota_id,
    vm_static.time_zone AS time_zone,
    vm_static.default_display_type AS default_display_type,
    vm_static.priority AS priority,
    vm_static.iso_path AS iso_path,
    vm_static.origin AS origin,
    vm_static.migration_support AS migration_support,
    vm_static.min_allocated_mem AS min_allocated_mem,
    vm_static.db_generation AS db_generation,
    vm_static.entity_type AS entity_type,
    vm_static.fn_get_num_of_vcpus AS num_of_cpus,
    cluster.name AS cluster_name,
    cluster.compatibility_version AS cluster_compatibility_version,
    cluster.cpu_name AS cluster_cpu_name,
    storage_pool.id AS storage_pool_id,
    storage_pool.name AS storage_pool_name,
    storage_pool.quota_enforcement_type AS quota_enforcement_type,
    quota.quota_name AS quota_name,
    vm_templates.vm_name AS vmt_name,
    vm_pool_map_view.vm_pool_id AS vm_pool_id,
    vm_pool_map_view.vm_pool_name AS vm_pool_name,
    vm_pool_map_view.vm_pool_spice_proxy AS vm_pool_spice_proxy,
    vds.vds_name AS run_on_vds_name,
    vds.host_name AS run_on_vds_host_name,
    vm_dynamic.status AS status,
    vm_dynamic.vm_ip AS vm_ip,
    vm_dynamic.vm_host AS vm_host,
    vm_dynamic.vm_pid AS vm_pid,
    vm_dynamic.last_start_time AS last_start_time,
    vm_dynamic.last_stop_time AS last_stop_time,
    vm_dynamic.guest_cur_user_name AS guest_cur_user_name,
    vm_dynamic.guest_os AS guest_os,
    vm_dynamic.run_on_vds AS run_on_vds,
    vm_dynamic.migrating_to_vds AS migrating_to_vds,
    vm_dynamic.app_list AS app_list,
    vm_dynamic.acpi_enable AS acpi_enable,
    vm_dynamic.session AS session,
    vm_dynamic.kvm_enable AS kvm_enable,
    vm_dynamic.utc_diff AS utc_diff,
    vm_dynamic.last_vds_run_on AS last_vds_run_on,
    vm_dynamic.client_ip AS client_ip,
    vm_dynamic.guest_requested_memory AS guest_requested_memory,
    vm_dynamic.boot_sequence AS boot_sequence,
    vm_dynamic.exit_status AS exit_status,
    vm_dynamic.pause_status AS pause_status,
    vm_dynamic.exit_message AS exit_message,
    vm_dynamic.exit_reason AS exit_reason,
    vm_dynamic.hash AS hash,
    vm_dynamic.console_user_id AS console_user_id,
    vm_dynamic.guest_agent_nics_hash AS guest_agent_nics_hash,
    vm_dynamic.console_cur_user_name AS console_cur_user_name,
    vm_dynamic.last_watchdog_event AS last_watchdog_event,
    vm_dynamic.last_watchdog_action AS last_watchdog_action,
    vm_dynamic.is_run_once AS is_run_once,
    vm_dynamic.vm_fqdn AS vm_fqdn,
    vm_dynamic.cpu_name AS cpu_name,
    vm_dynamic.emulated_machine AS emulated_machine,
    vm_dynamic.current_cd AS current_cd,
    vm_dynamic.reason AS reason,
    vm_dynamic.guest_cpu_count AS guest_cpu_count,
    vm_dynamic.display AS display,
    vm_dynamic.display_secure_port AS display_secure_port,
    vm_dynamic.display_ip AS display_ip,
    vm_dynamic.display_type AS display_type,
    vm_dynamic.spice_driver_version AS spice_driver_version,
    vm_dynamic.guest_timezone_offset AS guest_timezone_offset,
    vm_dynamic.guest_timezone_name AS guest_timezone_name,
    vm_dynamic.guestos_arch AS guestos_arch,
    vm_dynamic.guestos_codename AS guestos_codename,
    vm_dynamic.guestos_distribution AS guestos_distribution,
    vm_dynamic.guestos_kernel_version AS guestos_kernel_version,
    vm_dynamic.guestos_type AS guestos_type,
    vm_dynamic.guestos_version AS guestos_version,
    vm_dynamic.guest_mem_free AS guest_mem_free,
    vm_dynamic.guest_mem_buffered AS guest_mem_buffered,
    vm_dynamic.guest_mem_cached AS guest_mem_cached,
    vm_statistics.cpu_user AS cpu_user,
    vm_statistics.cpu_sys AS cpu_sys,
    vm_statistics.elapsed_time AS elapsed_time,
    vm_statistics.usage_network_percent AS usage_network_percent,
    vm_statistics.disks_usage AS disks_usage,
    vm_statistics.usage_mem_percent AS usage_mem_percent,
    vm_statistics.usage_cpu_percent AS usage_cpu_percent,
    vm_statistics.migration_progress_percent AS migration_progress_percent,
    vm_statistics.cpu_usage_history AS cpu_usage_history,
    vm_statistics.memory_usage_history AS memory_usage_history,
    vm_statistics.network_usage_history AS network_usage_history,
    vm_snapshots.next_run_config_exists AS next_run_config_exists,
    vm_snapshots.is_previewing_snapshot AS is_previewing_snapshot,
    vm_snapshots.changed_fields AS changed_fields
FROM vm_static
INNER JOIN vm_dynamic
    ON vm_static.vm_guid = vm_dynamic.vm_guid
INNER JOIN vm_static AS vm_templates
    ON vm_static.vmt_guid = vm_templates.vm_guid
INNER JOIN vm_statistics
    ON vm_static.vm_guid = vm_statistics.vm_guid
INNER JOIN cluster
    ON vm_static.cluster_id = cluster.cluster_id
LEFT JOIN storage_pool
    ON vm_static.cluster_id = cluster.cluster_id
        AND cluster.storage_pool_id = storage_pool.id
LEFT JOIN quota
    ON vm_static.quota_id = quota.id
LEFT JOIN vds
    ON vm_dynamic.run_on_vds = vds.vds_id
LEFT JOIN vm_pool_map_view
    ON vm_static.vm_guid = vm_pool_map_view.vm_guid
LEFT JOIN (
    SELECT snapshots.vm_id,
        COUNT(CASE snapshots.snapshot_type WHEN 'NEXT_RUN' THEN 1 END) > 0
            AS next_run_config_exists,
        COUNT(CASE snapshots.snapshot_type WHEN 'PREVIEW' THEN 1 END) > 0
            AS is_previewing_snapshot,
        array_to_string(array_agg(snapshots.changed_fields), '') AS changed_fields
    FROM snapshots
    WHERE snapshots.snapshot_type = 'NEXT_RUN'
        OR snapshots.snapshot_type = 'PREVIEW'
    GROUP BY snapshots.vm_id
    ) vm_snapshots
    ON vm_static.vm_guid = vm_snapshots.vm_id
WHERE vm_static.entity_type = 'VM';

-- 4.0: what monitoring needs, without the joins
CREATE OR REPLACE VIEW vms_monitoring_view AS

SELECT vm_dynamic.*,
    vm_static.vm_name,
    vm_static.origin,
    vm_static.auto_startup,
    vm_static.mem_size_mb,
    vm_static.min_allocated_mem,
    vm_static.num_of_sockets,
    vm_static.cpu_per_socket,
    vm_static.priority,
    vm_static.fn_get_num_of_vcpus AS num_of_cpus
FROM vm_dynamic
INNER JOIN vm_static
    ON vm_static.vm_guid = vm_dynamic.vm_guid;

-- 3.6: a VM's NICs with their statistics, device, profile, network and QoS, and (the second
-- half of the UNION) the templates' NICs, which have no statistics
CREATE OR REPLACE VIEW vm_interface_view AS

SELECT vm_interface_statistics.rx_rate,
    vm_interface_statistics.tx_rate,
    vm_interface_statistics.rx_drop,
    vm_interface_statistics.tx_drop,
    vm_interface_statistics.rx_total,
    vm_interface_statistics.tx_total,
    vm_interface_statistics.rx_offset,
    vm_interface_statistics.tx_offset,
    vm_interface_statistics.iface_status,
    vm_interface_statistics.sample_time,
    vm_interface.type,
    vm_interface.speed,
    vm_interface.mac_addr,
    network.name AS network_name,
    vm_interface.name,
    vm_interface.vnic_profile_id,
    vm_static.vm_guid,
    vm_interface.vmt_guid,
    vm_static.vm_name,
    vm_interface.id,
    0 AS boot_protocol,
    0 AS is_vds,
    vm_device.is_plugged,
    vm_device.custom_properties,
    vnic_profiles.port_mirroring AS port_mirroring,
    vm_interface.linked,
    vm_static.cluster_id AS cluster_id,
    vm_static.entity_type AS vm_entity_type,
    vnic_profiles.name AS vnic_profile_name,
    qos.name AS qos_name
FROM vm_interface_statistics
INNER JOIN vm_interface
    ON vm_interface_statistics.id = vm_interface.id
INNER JOIN vm_static
    ON vm_interface.vm_guid = vm_static.vm_guid
INNER JOIN vm_device
    ON vm_interface.vm_guid = vm_device.vm_id
        AND vm_interface.id = vm_device.device_id
LEFT JOIN (
    (
        vnic_profiles INNER JOIN network
            ON network.id = vnic_profiles.network_id
        ) LEFT JOIN qos
        ON vnic_profiles.network_qos_id = qos.id
    )
    ON vnic_profiles.id = vm_interface.vnic_profile_id

UNION

SELECT vm_interface_statistics.rx_rate,
    vm_interface_statistics.tx_rate,
    vm_interface_statistics.rx_drop,
    vm_interface_statistics.tx_drop,
    vm_interface_statistics.rx_total,
    vm_interface_statistics.tx_total,
    vm_interface_statistics.rx_offset,
    vm_interface_statistics.tx_offset,
    vm_interface_statistics.iface_status,
    vm_interface_statistics.sample_time,
    vm_interface.type,
    vm_interface.speed,
    vm_interface.mac_addr,
    network.name AS network_name,
    vm_interface.name,
    vm_interface.vnic_profile_id,
    NULL::UUID AS vm_guid,
    vm_interface.vmt_guid,
    vm_templates.vm_name AS vm_name,
    vm_interface.id,
    0 AS boot_protocol,
    0 AS is_vds,
    vm_device.is_plugged AS is_plugged,
    vm_device.custom_properties AS custom_properties,
    vnic_profiles.port_mirroring AS port_mirroring,
    vm_interface.linked,
    vm_templates.cluster_id AS cluster_id,
    vm_templates.entity_type AS vm_entity_type,
    vnic_profiles.name AS vnic_profile_name,
    qos.name AS qos_name
FROM vm_interface_statistics
RIGHT JOIN vm_interface
    ON vm_interface_statistics.id = vm_interface.id
INNER JOIN vm_static AS vm_templates
    ON vm_interface.vmt_guid = vm_templates.vm_guid
INNER JOIN vm_device
    ON vm_interface.vmt_guid = vm_device.vm_id
        AND vm_interface.id = vm_device.device_id
LEFT JOIN (
    (
        vnic_profiles INNER JOIN network
            ON network.id = vnic_profiles.network_id
        ) LEFT JOIN qos
        ON vnic_profiles.network_qos_id = qos.id
    )
    ON vnic_profiles.id = vm_interface.vnic_profile_id;

-- 4.1: the counters the rates are computed from, and nothing else
CREATE OR REPLACE VIEW vm_interface_monitoring_view AS

SELECT vm_interface_statistics.rx_rate,
    vm_interface_statistics.tx_rate,
    vm_interface_statistics.rx_drop,
    vm_interface_statistics.tx_drop,
    vm_interface_statistics.rx_total,
    vm_interface_statistics.tx_total,
    vm_interface_statistics.rx_offset,
    vm_interface_statistics.tx_offset,
    vm_interface_statistics.iface_status,
    vm_interface_statistics.sample_time,
    vm_interface.type,
    vm_interface.speed,
    vm_interface.mac_addr,
    vm_interface.name,
    vm_interface.vm_guid,
    vm_interface.id
FROM vm_interface_statistics
INNER JOIN vm_interface
    ON vm_interface_statistics.id = vm_interface.id;
