import math
import numpy as np

THIGH_LEN = 0.45
SHIN_LEN = 0.5
FOOT_LEN = 0.2
FOOT_RADIUS = 0.06
HIP_BELOW_TORSO = 0.2

TORSO_TARGET = -0.25
TORSO_KP = 1.5
TORSO_KD = 0.15
TORSO_MAX = 0.9

SWING_HIP_KP = 1.0
SWING_HIP_KD = 0.15
SWING_HIP_MAX = 0.6

STEP_BASE = 0.02
STEP_SPEED_GAIN = 0.2
STEP_MIN = -0.3
HIP_LIMIT_MARGIN = 0.05
MIRROR_LEAD = 0.08

KNEE_FLEX = -1.1
KNEE_FLEX_RANGE = 0.15
SWING_KNEE_KP = 1.0
SWING_KNEE_KD = 0.1
STANCE_KNEE_KP = 1.5
STANCE_KNEE_KD = 0.1

ANKLE_KP = 0.3
ANKLE_KD = 0.02
ANKLE_FF = 0.03
ANKLE_TARGET_MAX = 0.7

SPEED_TARGET = 1.0
SPEED_GAIN = 0.5
STANCE_ANKLE_MIN = -0.6
STANCE_ANKLE_MAX = 0.12

CONTACT_TOL = 0.02


def clip(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def leg_geometry(z, phi, hip, knee, ankle):
    a1 = hip - phi
    a2 = a1 + knee
    a3 = a2 + ankle
    hip_z = z - HIP_BELOW_TORSO * math.cos(phi)
    ankle_x = THIGH_LEN * math.sin(a1) + SHIN_LEN * math.sin(a2)
    ankle_z = hip_z - THIGH_LEN * math.cos(a1) - SHIN_LEN * math.cos(a2)
    lowest = ankle_z + min(0.0, FOOT_LEN * math.sin(a3)) - FOOT_RADIUS
    return a1, a2, a3, ankle_x, lowest


def policy(obs):
    o = [float(v) for v in obs]
    z = o[0]
    phi = o[1]
    vx = o[8]
    dphi = o[10]
    hip = [o[2], o[5]]
    knee = [o[3], o[6]]
    ankle = [o[4], o[7]]
    dhip = [o[11], o[14]]
    dknee = [o[12], o[15]]
    dankle = [o[13], o[16]]

    geo = [leg_geometry(z, phi, hip[i], knee[i], ankle[i]) for i in range(2)]
    c0 = geo[0][4] < CONTACT_TOL
    c1 = geo[1][4] < CONTACT_TOL
    if c0 and not c1:
        st = 0
    elif c1 and not c0:
        st = 1
    elif c0 and c1:
        st = 0 if geo[0][3] >= geo[1][3] else 1
    else:
        st = 0 if geo[0][4] <= geo[1][4] else 1
    sw = 1 - st

    a1_st, a2_st, a3_st = geo[st][0], geo[st][1], geo[st][2]
    a1_sw, a2_sw = geo[sw][0], geo[sw][1]
    da1_st = dhip[st] - dphi
    da3_st = da1_st + dknee[st] + dankle[st]
    da1_sw = dhip[sw] - dphi

    v_hip = vx - HIP_BELOW_TORSO * math.cos(phi) * dphi

    # torso attitude torque (delivered through the hips)
    tau_torso = TORSO_KP * (TORSO_TARGET - phi) - TORSO_KD * dphi
    tau_torso = clip(tau_torso, -TORSO_MAX, TORSO_MAX)

    # swing foot placement target (world thigh angle), kept inside hip limit
    a_t = STEP_BASE + STEP_SPEED_GAIN * v_hip
    a_t = max(a_t, STEP_MIN)
    a_t = min(a_t, -phi - HIP_LIMIT_MARGIN)
    a_des = min(a_t, -a1_st + MIRROR_LEAD)

    tau_sw = SWING_HIP_KP * (a_des - a1_sw) - SWING_HIP_KD * da1_sw
    tau_sw = clip(tau_sw, -SWING_HIP_MAX, SWING_HIP_MAX)
    tau_sw = clip(tau_sw, tau_torso - 1.0, tau_torso + 1.0)
    tau_st = clip(tau_torso - tau_sw, -1.0, 1.0)

    # swing knee: flexed while the thigh still has to travel, straight to land
    frac = clip((a_t - a1_sw) / KNEE_FLEX_RANGE, 0.0, 1.0)
    knee_target = KNEE_FLEX * frac
    tau_knee_sw = SWING_KNEE_KP * (knee_target - knee[sw]) - SWING_KNEE_KD * dknee[sw]

    # stance knee: straight
    tau_knee_st = STANCE_KNEE_KP * (0.0 - knee[st]) - STANCE_KNEE_KD * dknee[st]

    # swing ankle: keep the foot level with the ground
    foot_target = clip(-a2_sw, -ANKLE_TARGET_MAX, ANKLE_TARGET_MAX)
    tau_ank_sw = ANKLE_KP * (foot_target - ankle[sw]) - ANKLE_KD * dankle[sw] + ANKLE_FF

    # stance ankle: keep foot flat, regulate forward speed
    tau_ank_st = (ANKLE_KP * (0.0 - a3_st) - ANKLE_KD * da3_st
                  + SPEED_GAIN * (SPEED_TARGET - v_hip))
    tau_ank_st = clip(tau_ank_st, STANCE_ANKLE_MIN, STANCE_ANKLE_MAX)

    action = [0.0] * 6
    action[3 * st + 0] = tau_st
    action[3 * st + 1] = tau_knee_st
    action[3 * st + 2] = tau_ank_st
    action[3 * sw + 0] = tau_sw
    action[3 * sw + 1] = tau_knee_sw
    action[3 * sw + 2] = tau_ank_sw

    return np.clip(np.array(action, dtype=np.float64), -1.0, 1.0)
