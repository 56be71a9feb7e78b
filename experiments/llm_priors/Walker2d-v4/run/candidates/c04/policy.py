import math
import numpy as np

L_THIGH = 0.45
L_SHIN = 0.5
L_FOOT = 0.2
FOOT_RADIUS = 0.06
HIP_OFFSET = 0.2

M_TORSO = 3.665
M_THIGH = 4.058
M_SHIN = 2.781
M_FOOT = 3.167
M_TOTAL = M_TORSO + 2.0 * (M_THIGH + M_SHIN + M_FOOT)

TORSO_REF = -0.35
KP_TORSO = 2.0
KD_TORSO = 0.15

A0 = 0.05
CD = 0.5
CV = 0.15
A_MIN = -0.3
A_MAX = 0.45
HIP_Q_MIN = -1.6
HIP_Q_MAX = -0.05
KP_SWING_HIP = 2.0
KD_SWING_HIP = 0.2
SWING_HIP_LIMIT = 0.6

KNEE_FLEX = -1.1
KNEE_STRAIGHT = -0.05
KP_SWING_KNEE = 1.5
KD_SWING_KNEE = 0.1
KP_STANCE_KNEE = 3.0
KD_STANCE_KNEE = 0.15

ANKLE_LIMIT = 0.75
SWING_TOE_UP = 0.1
KP_SWING_ANKLE = 0.4
KD_SWING_ANKLE = 0.03
KP_STANCE_ANKLE = 0.5
KD_STANCE_ANKLE = 0.04
PUSH_OFF = 0.3
V_MAX = 1.2
K_BRAKE = 0.6

SCORE_KX = 0.05
SCORE_SIGMA = 0.008
SCORE_BIAS = 0.006


def clip(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def leg_kinematics(theta, dtheta, qh, qk, qf, dqh, dqk, dqf, hip_z):
    at = qh - theta            # thigh world angle (+ = knee ahead of hip)
    ash = at + qk              # shin world angle
    af = ash + qf              # foot world angle (+ = toe up)
    kx = L_THIGH * math.sin(at)
    kz = -L_THIGH * math.cos(at)
    ax = kx + L_SHIN * math.sin(ash)
    az = kz - L_SHIN * math.cos(ash)
    tz = az + L_FOOT * math.sin(af)
    low = hip_z + min(az, tz) - FOOT_RADIUS
    mx = (M_THIGH * 0.5 * kx + M_SHIN * 0.5 * (kx + ax)
          + M_FOOT * (ax + 0.5 * L_FOOT * math.cos(af)))
    dat = dqh - dtheta
    daf = dat + dqk + dqf
    return at, ash, ax, low, mx, dat, daf


def swing_commands(leg, other, theta, qh, qk, qf, dqk, com_x, v):
    at, ash, ax, low, mx, dat, daf = leg
    at_o = other[0]
    ax_o = other[2]
    d = com_x - ax_o
    a_tgt = clip(A0 + CD * d + CV * v, A_MIN, A_MAX)
    q_tgt = clip(a_tgt + theta, HIP_Q_MIN, HIP_Q_MAX)
    a_eff = q_tgt - theta
    u_hip = clip(KP_SWING_HIP * (q_tgt - qh) - KD_SWING_HIP * dat,
                 -SWING_HIP_LIMIT, SWING_HIP_LIMIT)
    rel = at - at_o
    e1 = clip((rel - 0.05) / 0.25, 0.0, 1.0)
    e2 = clip((-at_o - 0.2) / 0.15, 0.0, 1.0)
    e3 = clip(1.0 - (a_eff - at - 0.02) / 0.1, 0.0, 1.0)
    e = max(e1, e2, e3)
    knee_tgt = KNEE_FLEX + (KNEE_STRAIGHT - KNEE_FLEX) * e
    u_knee = KP_SWING_KNEE * (knee_tgt - qk) - KD_SWING_KNEE * dqk
    ankle_tgt = clip(SWING_TOE_UP - ash, -ANKLE_LIMIT, ANKLE_LIMIT)
    u_ankle = KP_SWING_ANKLE * (ankle_tgt - qf) - KD_SWING_ANKLE * daf
    return u_hip, u_knee, u_ankle


def stance_commands(leg, qk, qf, dqk, v):
    ash = leg[1]
    daf = leg[6]
    u_knee = KP_STANCE_KNEE * (KNEE_STRAIGHT - qk) - KD_STANCE_KNEE * dqk
    ankle_tgt = clip(-ash, -ANKLE_LIMIT, ANKLE_LIMIT)
    push = PUSH_OFF * clip((-ash - 0.2) / 0.15, 0.0, 1.0)
    brake = K_BRAKE * max(0.0, v - V_MAX)
    u_ankle = (KP_STANCE_ANKLE * (ankle_tgt - qf) - KD_STANCE_ANKLE * daf
               - push - brake)
    return u_knee, u_ankle


def policy(obs):
    o = [float(x) for x in obs]
    z = o[0]
    th = o[1]
    dth = o[10]
    hip_z = z - HIP_OFFSET * math.cos(th)
    v = o[8] - HIP_OFFSET * math.cos(th) * dth

    right = leg_kinematics(th, dth, o[2], o[3], o[4], o[11], o[12], o[13], hip_z)
    left = leg_kinematics(th, dth, o[5], o[6], o[7], o[14], o[15], o[16], hip_z)
    com_x = (M_TORSO * HIP_OFFSET * math.sin(th) + right[4] + left[4]) / M_TOTAL

    score_r = right[3] - SCORE_KX * right[2]
    score_l = left[3] - SCORE_KX * left[2]
    arg = clip((score_l - score_r - SCORE_BIAS) / SCORE_SIGMA, -30.0, 30.0)
    w = 1.0 / (1.0 + math.exp(-arg))   # weight of "right leg is stance"

    tau_t = clip(KP_TORSO * (TORSO_REF - th) - KD_TORSO * dth, -1.0, 1.0)

    sw_r = swing_commands(right, left, th, o[2], o[3], o[4], o[12], com_x, v)
    sw_l = swing_commands(left, right, th, o[5], o[6], o[7], o[15], com_x, v)
    st_r = stance_commands(right, o[3], o[4], o[12], v)
    st_l = stance_commands(left, o[6], o[7], o[15], v)

    hip_r = w * (tau_t - sw_l[0]) + (1.0 - w) * sw_r[0]
    hip_l = w * sw_l[0] + (1.0 - w) * (tau_t - sw_r[0])
    knee_r = w * st_r[0] + (1.0 - w) * sw_r[1]
    knee_l = w * sw_l[1] + (1.0 - w) * st_l[0]
    ankle_r = w * st_r[1] + (1.0 - w) * sw_r[2]
    ankle_l = w * sw_l[2] + (1.0 - w) * st_l[1]

    action = np.array([hip_r, knee_r, ankle_r, hip_l, knee_l, ankle_l],
                      dtype=np.float64)
    return np.clip(action, -1.0, 1.0)
