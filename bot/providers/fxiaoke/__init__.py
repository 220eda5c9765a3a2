"""FXiaoKe (纷享销客) open platform provider: approvals read by sweeping, no callbacks."""
