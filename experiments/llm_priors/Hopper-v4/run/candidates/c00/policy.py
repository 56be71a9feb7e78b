import math
import numpy as np

# Posture targets
PITCH_TARGET = 0.0    # torso upright (rad)
LEAN_TARGET = 0.10    # ankle angle = forward lean of the straight leg when the foot is flat (rad)
KNEE_TARGET = 0.0     # straight knee (upper joint limit)

# Gains (action units per rad and per rad/s; 1 action unit = 200 N m)
KP_PITCH = 2.0
KD_PITCH = 0.2
KP_KNEE = 3.0
KD_KNEE = 0.3
KP_ANKLE = 2.0
KD_ANKLE = 0.4


def clip_unit(value):
    if not math.isfinite(value):
        return 0.0
    return float(min(1.0, max(-1.0, value)))


def policy(obs):
    pitch = float(obs[1])
    knee = float(obs[3])
    ankle = float(obs[4])
    pitch_rate = float(obs[7])
    knee_rate = float(obs[9])
    ankle_rate = float(obs[10])

    # Hip: positive torque pitches the torso forward relative to the thigh,
    # so servo the absolute torso pitch to upright.
    hip_cmd = KP_PITCH * (PITCH_TARGET - pitch) - KD_PITCH * pitch_rate

    # Knee: hold the leg straight (gravity locks it against the 0 limit).
    knee_cmd = KP_KNEE * (KNEE_TARGET - knee) - KD_KNEE * knee_rate

    # Ankle: hold the leg at a small forward lean relative to the flat foot,
    # which centres the body's centre of mass over the foot.
    ankle_cmd = KP_ANKLE * (LEAN_TARGET - ankle) - KD_ANKLE * ankle_rate

    return np.array([clip_unit(hip_cmd), clip_unit(knee_cmd), clip_unit(ankle_cmd)])
