"""Executors bundled with mesosframe, on pymesos's executor driver (imported lazily).

- `python -m executors.command`: the command executor (one CommandInfo task, kill policy, health checks).
- `python -m executors.group`: the default executor for LAUNCH_GROUP (pods: tasks share the executor and its
  sandbox, each in `tasks/<task_id>`; a failed or killed task takes the rest of its group down).
- `executors.base.ExecutorBase`: the shared task machinery, for your own executors (see examples/executor).
"""
