-- NUMA: the five reads 3.6 makes for every VM of every cycle (engine: numa_sp.sql)

CREATE OR REPLACE FUNCTION GetNumaNodeByVdsId(v_vds_id UUID)
RETURNS SETOF numa_node STABLE AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT numa_node.*
    FROM numa_node
    WHERE vds_id = v_vds_id;
END;$PROCEDURE$
LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION GetNumaNodeCpuByVdsId(v_vds_id UUID)
RETURNS TABLE (numa_node_id UUID, cpu_core_id INTEGER, numa_node_index INTEGER) STABLE
AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT numa_node_cpu_map.numa_node_id,
        numa_node_cpu_map.cpu_core_id,
        numa_node.numa_node_index
    FROM numa_node_cpu_map
    INNER JOIN numa_node
        ON numa_node.numa_node_id = numa_node_cpu_map.numa_node_id
    WHERE numa_node.vds_id = v_vds_id;
END;$PROCEDURE$
LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION GetNumaNodeByVmId(v_vm_id UUID)
RETURNS SETOF numa_node STABLE AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT numa_node.*
    FROM numa_node
    WHERE vm_id = v_vm_id;
END;$PROCEDURE$
LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION GetNumaNodeCpuByVmId(v_vm_id UUID)
RETURNS TABLE (numa_node_id UUID, cpu_core_id INTEGER, numa_node_index INTEGER) STABLE
AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT numa_node_cpu_map.numa_node_id,
        numa_node_cpu_map.cpu_core_id,
        numa_node.numa_node_index
    FROM numa_node_cpu_map
    INNER JOIN numa_node
        ON numa_node.numa_node_id = numa_node_cpu_map.numa_node_id
    WHERE numa_node.vm_id = v_vm_id;
END;$PROCEDURE$
LANGUAGE plpgsql;

-- every VM NUMA node's host pinning, read whole for each VM (the engine's name, typo included)
CREATE OR REPLACE FUNCTION GetAllAssignedNumaNodeInfomation()
RETURNS TABLE (
    id UUID,
    vm_numa_node_id UUID,
    vds_numa_node_id UUID,
    vds_numa_node_index INTEGER,
    is_pinned BOOLEAN,
    vm_id UUID
    ) STABLE AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT vm_vds_numa_node_map.id,
        vm_vds_numa_node_map.vm_numa_node_id,
        vm_vds_numa_node_map.vds_numa_node_id,
        vm_vds_numa_node_map.vds_numa_node_index,
        vm_vds_numa_node_map.is_pinned,
        numa_node.vm_id
    FROM vm_vds_numa_node_map
    INNER JOIN numa_node
        ON numa_node.numa_node_id = vm_vds_numa_node_map.vm_numa_node_id;
END;$PROCEDURE$
LANGUAGE plpgsql;
