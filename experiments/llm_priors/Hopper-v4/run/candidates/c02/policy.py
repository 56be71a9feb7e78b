import math

GEAR = 200.0

TORSO_TO_HIP = 0.2
THIGH_LENGTH = 0.45
SHANK_LENGTH = 0.5
HEEL_OFFSET = 0.13
TOE_OFFSET = 0.26
FOOT_RADIUS = 0.06
CONTACT_HEIGHT = 0.012

PITCH_TARGET = 0.0
HIP_KP = 300.0
HIP_KD = 30.0

KNEE_TARGET = 0.1
KNEE_KP = 400.0
KNEE_KD = 20.0

LEAN_TARGET = 0.15
LEAN_ERROR_MIN = -0.1
LEAN_ERROR_MAX = 0.2
ANKLE_KP = 250.0
ANKLE_KD = 70.0
LEAN_GRAVITY = 75.0
ANKLE_STANCE_MIN = -0.18
ANKLE_STANCE_MAX = 0.11

FOOT_KP = 200.0
FOOT_KD = 20.0
ANKLE_SWING_LIMIT = 0.5


def clip_value(x, lo, hi):
    return max(lo, min(hi, x))


def segment_angles(obs):
    pitch = float(obs[1])
    phi_torso = -pitch
    phi_thigh = phi_torso + float(obs[2])
    phi_shank = phi_thigh + float(obs[3])
    phi_foot = phi_shank + float(obs[4])
    return phi_thigh, phi_shank, phi_foot


def foot_clearance(obs):
    z = float(obs[0])
    pitch = float(obs[1])
    phi_thigh, phi_shank, phi_foot = segment_angles(obs)
    z_hip = z - TORSO_TO_HIP * math.cos(pitch)
    z_ankle = z_hip - THIGH_LENGTH * math.cos(phi_thigh) - SHANK_LENGTH * math.cos(phi_shank)
    s = math.sin(phi_foot)
    z_heel = z_ankle - HEEL_OFFSET * s
    z_toe = z_ankle + TOE_OFFSET * s
    return min(z_heel, z_toe) - FOOT_RADIUS


def policy(obs):
    for i in range(11):
        if not math.isfinite(float(obs[i])):
            return [0.0, 0.0, 0.0]

    pitch = float(obs[1])
    q_hip = float(obs[2])
    q_knee = float(obs[3])
    pitch_rate = float(obs[7])
    hip_rate = float(obs[8])
    knee_rate = float(obs[9])
    ankle_rate = float(obs[10])

    # Hip: keep the torso upright (positive hip torque pitches the torso forward).
    hip_torque = -HIP_KP * (pitch - PITCH_TARGET) - HIP_KD * pitch_rate
    a_hip = clip_value(hip_torque / GEAR, -1.0, 1.0)

    # Knee: lock straight against its upper limit.
    knee_torque = KNEE_KP * (KNEE_TARGET - q_knee) - KNEE_KD * knee_rate
    a_knee = clip_value(knee_torque / GEAR, -1.0, 1.0)

    # Ankle.
    clearance = foot_clearance(obs)
    if clearance <= CONTACT_HEIGHT:
        # Stance: balance the leg as an inverted pendulum about the ankle.
        lean = pitch - q_hip - q_knee
        lean_rate = pitch_rate - hip_rate - knee_rate
        err = clip_value(lean - LEAN_TARGET, LEAN_ERROR_MIN, LEAN_ERROR_MAX)
        ankle_torque = -ANKLE_KP * err - ANKLE_KD * lean_rate - LEAN_GRAVITY * LEAN_TARGET
        a_ankle = clip_value(ankle_torque / GEAR, ANKLE_STANCE_MIN, ANKLE_STANCE_MAX)
    else:
        # Airborne: keep the foot flat so it lands flat.
        phi_thigh, phi_shank, phi_foot = segment_angles(obs)
        phi_foot_rate = -pitch_rate + hip_rate + knee_rate + ankle_rate
        ankle_torque = -FOOT_KP * phi_foot - FOOT_KD * phi_foot_rate
        a_ankle = clip_value(ankle_torque / GEAR, -ANKLE_SWING_LIMIT, ANKLE_SWING_LIMIT)

    return [float(clip_value(a_hip, -1.0, 1.0)),
            float(clip_value(a_knee, -1.0, 1.0)),
            float(clip_value(a_ankle, -1.0, 1.0))]
