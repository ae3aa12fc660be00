-- disk_image_dynamic: the per-disk statistics batch (engine: disk_image_dynamic_sp.sql)

-- the active volume of a disk the VM has plugged (not a snapshot's), found from the disk id
CREATE OR REPLACE FUNCTION Updatedisk_image_dynamic_by_disk_id_and_vm_id(
    v_image_group_id UUID,
    v_vm_id UUID,
    v_read_rate INTEGER,
    v_write_rate INTEGER,
    v_actual_size BIGINT,
    v_read_latency_seconds NUMERIC(18, 9),
    v_write_latency_seconds NUMERIC(18, 9),
    v_flush_latency_seconds NUMERIC(18, 9)
    )
RETURNS VOID AS $PROCEDURE$
BEGIN
    UPDATE disk_image_dynamic
    SET read_rate = v_read_rate,
        write_rate = v_write_rate,
        actual_size = v_actual_size,
        read_latency_seconds = v_read_latency_seconds,
        write_latency_seconds = v_write_latency_seconds,
        flush_latency_seconds = v_flush_latency_seconds,
        _update_date = LOCALTIMESTAMP
    WHERE image_id IN (
            SELECT images.image_guid
            FROM images
            WHERE images.image_group_id = v_image_group_id
                AND images.active = TRUE
            )
        AND EXISTS (
            SELECT 1
            FROM vm_device
            WHERE vm_device.vm_id = v_vm_id
                AND vm_device.device_id = v_image_group_id
                AND vm_device.snapshot_id IS NULL
            );
END;$PROCEDURE$
LANGUAGE plpgsql;
