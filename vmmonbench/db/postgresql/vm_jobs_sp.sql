-- vm_jobs: what 3.6 reads every cycle and for every VM (engine: vm_jobs_sp.sql)

CREATE OR REPLACE FUNCTION GetAllVmJobIds()
RETURNS SETOF UUID STABLE AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT vm_jobs.vm_job_id
    FROM vm_jobs;
END;$PROCEDURE$
LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION GetVmJobsByVmId(v_vm_id UUID)
RETURNS SETOF vm_jobs STABLE AS $PROCEDURE$
BEGIN
    RETURN QUERY
    SELECT vm_jobs.*
    FROM vm_jobs
    WHERE vm_id = v_vm_id;
END;$PROCEDURE$
LANGUAGE plpgsql;
