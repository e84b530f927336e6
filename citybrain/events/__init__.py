"""Unified case centre on the city grid (一网统管 · 网格化管理 · 闭环处置).

Every source — sensor alarms, video-AI detections, citizen and grid-worker reports, 12345
hotline tickets, Open311 clients — feeds one intake; cases are located on grid cells, routed,
handled through the GB/T 30428 workflow and evaluated per department, grid and district.
"""
