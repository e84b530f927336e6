"""Indicators (指标), the one-click city health check (一键体检) and the cockpit (驾驶舱)."""
