"""Stable-Baselines3 integration (``pip install camel-gym[sb3]``).

The recipe, three lines on top of plain SB3::

    from stable_baselines3 import SAC
    from stable_baselines3.common.env_util import make_vec_env
    from camel_gym import make_camel_env
    from camel_gym.sb3 import EpsilonScheduleCallback

    env = make_vec_env(lambda: make_camel_env("Hopper-v4", total_timesteps=50_000), n_envs=1)
    model = SAC("MlpPolicy", env)
    model.learn(50_000, callback=EpsilonScheduleCallback())
"""

from __future__ import annotations

from stable_baselines3.common.callbacks import BaseCallback

__all__ = ["EpsilonScheduleCallback"]


class EpsilonScheduleCallback(BaseCallback):
    """Drives every env's epsilon schedule from the model's global step (``model.num_timesteps``).

    Each :class:`~camel_gym.EpsilonMaskWrapper` counts only its own env's steps; with ``n_envs``
    envs they would fade the mask ``n_envs`` times too slowly. This callback sets their clock to
    the global step every ``every`` steps (1: exact; raise it for SubprocVecEnv, where each
    update is a round trip to every worker). It also logs ``camel/mask_probability``.
    """

    def __init__(self, every: int = 1, verbose: int = 0):
        super().__init__(verbose)
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.every = every

    def _sync(self) -> None:
        self.training_env.env_method("set_timestep", self.num_timesteps)

    def _on_training_start(self) -> None:
        self._sync()

    def _on_step(self) -> bool:
        if self.n_calls % self.every == 0:
            self._sync()
        if self.n_calls % 1000 == 0:  # every 1000 calls whatever `every` is (with every=3 it was every 3000)
            probability = self.training_env.env_method("mask_probability", indices=[0])[0]
            self.logger.record("camel/mask_probability", probability)
        return True
