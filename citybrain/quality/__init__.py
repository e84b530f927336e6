"""Quality governance (数据治理): rules, one-scan checks, scorecards and rectification tickets."""
