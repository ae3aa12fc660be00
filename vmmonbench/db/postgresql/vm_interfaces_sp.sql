-- vNIC statistics and guest-agent NICs (engine: vm_nic_sp.sql, network_sp.sql and
-- vm_guest_agent_interfaces_sp.sql)

-- 3.6: a VM's NICs from the heavy view, behind the permission check (called unfiltered)
CREATE OR REPLACE FUNCTION GetVmNetworkInterfaceViewByVmId(
    v_vm_id UUID,
    v_user_id UUID DEFAULT NULL,
    v_is_filtered BOOLEAN DEFAULT FALSE
    )
RETURNS SETOF vm_interface_view STABLE AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT vm_interface_view.*
    FROM vm_interface_view
    WHERE vm_guid = v_vm_id
        AND (
            NOT v_is_filtered
            OR EXISTS (
                SELECT 1
                FROM user_vm_permissions_view
                WHERE user_id = v_user_id
                    AND entity_id = v_vm_id
                )
            );
END;$PROCEDURE$
LANGUAGE plpgsql;

-- 4.1: only what the rates need, from the light view
CREATE OR REPLACE FUNCTION GetVmNetworkInterfaceToMonitorByVmId(v_vm_id UUID)
RETURNS SETOF vm_interface_monitoring_view STABLE AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT vm_interface_monitoring_view.*
    FROM vm_interface_monitoring_view
    WHERE vm_guid = v_vm_id;
END;$PROCEDURE$
LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION Updatevm_interface_statistics(
    v_id UUID,
    v_rx_rate NUMERIC(24, 4),
    v_tx_rate NUMERIC(24, 4),
    v_rx_drop NUMERIC(20, 0),
    v_tx_drop NUMERIC(20, 0),
    v_rx_total BIGINT,
    v_tx_total BIGINT,
    v_rx_offset BIGINT,
    v_tx_offset BIGINT,
    v_iface_status INTEGER,
    v_sample_time NUMERIC(20, 3)
    )
RETURNS VOID AS $PROCEDURE$
BEGIN
    UPDATE vm_interface_statistics
    SET rx_rate = v_rx_rate,
        tx_rate = v_tx_rate,
        rx_drop = v_rx_drop,
        tx_drop = v_tx_drop,
        rx_total = v_rx_total,
        tx_total = v_tx_total,
        rx_offset = v_rx_offset,
        tx_offset = v_tx_offset,
        iface_status = v_iface_status,
        sample_time = v_sample_time,
        _update_date = LOCALTIMESTAMP
    WHERE id = v_id;
END;$PROCEDURE$
LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION InsertVmGuestAgentInterface(
    v_vm_id UUID,
    v_interface_name TEXT,
    v_mac_address VARCHAR(59),
    v_ipv4_addresses TEXT,
    v_ipv6_addresses TEXT
    )
RETURNS VOID AS $PROCEDURE$
BEGIN
    INSERT INTO vm_guest_agent_interfaces (
        vm_id,
        interface_name,
        mac_address,
        ipv4_addresses,
        ipv6_addresses
        )
    VALUES (
        v_vm_id,
        v_interface_name,
        v_mac_address,
        v_ipv4_addresses,
        v_ipv6_addresses
        );
END;$PROCEDURE$
LANGUAGE plpgsql;

-- 3.6: one call per VM
CREATE OR REPLACE FUNCTION DeleteVmGuestAgentInterfacesByVmId(v_vm_id UUID)
RETURNS VOID AS $PROCEDURE$
BEGIN
    DELETE
    FROM vm_guest_agent_interfaces
    WHERE vm_id = v_vm_id;
END;$PROCEDURE$
LANGUAGE plpgsql;

-- 4.1: one call for every VM whose NICs changed
CREATE OR REPLACE FUNCTION DeleteVmGuestAgentInterfacesByVmIds(v_vm_ids UUID[])
RETURNS VOID AS $PROCEDURE$
BEGIN
    DELETE
    FROM vm_guest_agent_interfaces
    WHERE vm_id = ANY (v_vm_ids);
END;$PROCEDURE$
LANGUAGE plpgsql;
