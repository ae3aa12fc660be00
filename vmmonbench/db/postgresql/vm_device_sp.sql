-- vm_device: the reads and writes of devices monitoring (engine: vm_device_sp.sql)

CREATE OR REPLACE FUNCTION GetVmDeviceByVmId(v_vm_id UUID)
RETURNS SETOF vm_device STABLE AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT vm_device.*
    FROM vm_device
    WHERE vm_id = v_vm_id;
END;$PROCEDURE$
LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION InsertVmDevice(
    v_device_id UUID,
    v_vm_id UUID,
    v_type VARCHAR(30),
    v_device VARCHAR(255),
    v_address VARCHAR(255),
    v_boot_order INTEGER,
    v_spec_params TEXT,
    v_is_managed BOOLEAN,
    v_is_plugged BOOLEAN,
    v_is_readonly BOOLEAN,
    v_alias VARCHAR(255),
    v_custom_properties TEXT,
    v_snapshot_id UUID,
    v_logical_name VARCHAR(255),
    v_host_device VARCHAR(255),
    v__create_date TIMESTAMP WITH TIME ZONE,
    v__update_date TIMESTAMP WITH TIME ZONE
    )
RETURNS VOID AS $PROCEDURE$
BEGIN
    INSERT INTO vm_device (device_id, vm_id, type, device, address, boot_order, spec_params, is_managed, is_plugged, is_readonly, alias, custom_properties, snapshot_id, logical_name, host_device, _create_date, _update_date)
    VALUES (v_device_id, v_vm_id, v_type, v_device, v_address, v_boot_order, v_spec_params, v_is_managed, v_is_plugged, v_is_readonly, v_alias, v_custom_properties, v_snapshot_id, v_logical_name, v_host_device, v__create_date, v__update_date);
END;$PROCEDURE$
LANGUAGE plpgsql;

-- what monitoring learns from the host about a known device
CREATE OR REPLACE FUNCTION UpdateVmDevice(
    v_device_id UUID,
    v_vm_id UUID,
    v_type VARCHAR(30),
    v_device VARCHAR(255),
    v_address VARCHAR(255),
    v_alias VARCHAR(255),
    v_is_plugged BOOLEAN
    )
RETURNS VOID AS $PROCEDURE$
BEGIN
    UPDATE vm_device
    SET type = v_type,
        device = v_device,
        address = v_address,
        alias = v_alias,
        is_plugged = v_is_plugged,
        _update_date = LOCALTIMESTAMP
    WHERE device_id = v_device_id
        AND vm_id = v_vm_id;
END;$PROCEDURE$
LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION DeleteVmDevice(
    v_device_id UUID,
    v_vm_id UUID
    )
RETURNS VOID AS $PROCEDURE$
BEGIN
    DELETE
    FROM vm_device
    WHERE device_id = v_device_id
        AND vm_id = v_vm_id;
END;$PROCEDURE$
LANGUAGE plpgsql;
