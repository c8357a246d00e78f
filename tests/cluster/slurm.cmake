# Slurm on the test hosts (included by tests/cluster/CMakeLists.txt after TF_CLUSTER_ENV): each
# script makes 2 test hosts (hosts.sh) with a Slurm cluster on them (tests/slurm/cluster.sh start
# DIR HOSTS: slurmctld on node1, one slurmd per host), runs its jobs, and removes jobs, daemons
# and hosts however it ends. As root, with slurm-wlm, munge and prometheus
# (scripts/install-deps.sh); without them the scripts fail and name what is missing.
# tests/cluster/soak.sh, the fault soak, is run by hand.
foreach(name slurm slurm_preemption slurm_chain)
  add_test(NAME cluster_${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/${name}.sh)
  set_tests_properties(cluster_${name} PROPERTIES ENVIRONMENT "${TF_CLUSTER_ENV}" TIMEOUT 240
                       RUN_SERIAL TRUE)
endforeach()
