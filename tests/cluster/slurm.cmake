# Slurm on the test hosts (included by tests/cluster/CMakeLists.txt): each script makes 2 test
# hosts (tests/cluster/hosts.sh) with a Slurm cluster on them (tests/slurm/cluster.sh start DIR
# HOSTS: slurmctld on node1, one slurmd per host), runs its jobs, and removes hosts, daemons and
# jobs however it ends. As root, with slurm-wlm, munge and prometheus (scripts/install-deps.sh);
# without them the scripts fail and name what is missing. tests/cluster/soak.sh is run by hand.
set(TF_CLUSTER_SLURM_ENV
    TF_LAUNCH=$<TARGET_FILE:tf-launch> TF_CTL=$<TARGET_FILE:tf-ctl>
    TF_SOURCE_DIR=${PROJECT_SOURCE_DIR} TF_E2E_DIR=${PROJECT_SOURCE_DIR}/tests/e2e
    "TF_MPIRUN=${MPIEXEC_EXECUTABLE} --allow-run-as-root --oversubscribe")
foreach(name slurm slurm_preemption slurm_chain)
  add_test(NAME cluster_${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/${name}.sh)
  set_tests_properties(cluster_${name} PROPERTIES ENVIRONMENT "${TF_CLUSTER_SLURM_ENV}"
                       TIMEOUT 240 RUN_SERIAL TRUE)
endforeach()
