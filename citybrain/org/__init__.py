"""Organisation: districts (区市) and departments (部门), which every other domain refers to."""
