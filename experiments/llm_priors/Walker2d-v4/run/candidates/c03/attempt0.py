import math
import numpy as np

TORSO_HALF = 0.2
THIGH_LEN = 0.45
SHANK_LEN = 0.5
FOOT_LEN = 0.2
FOOT_RAD = 0.06
LEG_REACH = 0.93

V_DES = 1.0
T_CP = 0.3
B0 = 0.08
KB = 0.1
B_MAX = 0.15
X_TGT_MIN = -0.05
X_TGT_MAX = 0.45

PHI_0 = -0.08
PHI_V = -0.25
PHI_MIN = -0.45
PHI_MAX = -0.05
KP_T = 2.0
KD_T = 0.2
T_MAX = 0.4

KP_SH = 3.0
KD_SH = 0.35
SH_MAX = 0.6
G_COMP = 0.45
Q_HIP_MAX = -0.05
Q_HIP_MIN = -1.2
KNEE_EXT = -0.1
KNEE_FLEX = -1.0
KP_SK = 1.5
KD_SK = 0.12
TOE_UP = 0.15
KP_SA = 0.5
KD_SA = 0.03
ANK_LIM = 0.7
PUSH = 0.3

KNEE_ST = 0.05
KP_STK = 3.0
KD_STK = 0.1
KP_FLAT = 0.5
KD_FLAT = 0.03
KV_ANK = 0.4
ANK_V_MIN = -0.3
ANK_V_MAX = 0.15

H_LO = 0.01
H_HI = 0.03
VEL_PEN = 0.04
R_BIAS = 0.02
W_BAND = 0.04
H_BAND = 0.04


def clip(x, lo, hi):
    return min(max(x, lo), hi)


def leg_state(z_hip, phi, dphi, q_hip, q_knee, q_ank, dq_hip, dq_knee, dq_ank):
    a1 = q_hip - phi
    a2 = a1 + q_knee
    a3 = a2 + q_ank
    da1 = dq_hip - dphi
    da2 = da1 + dq_knee
    da3 = da2 + dq_ank
    x_ank = THIGH_LEN * math.sin(a1) + SHANK_LEN * math.sin(a2)
    z_ank = z_hip - THIGH_LEN * math.cos(a1) - SHANK_LEN * math.cos(a2)
    z_toe = z_ank + FOOT_LEN * math.sin(a3)
    h = min(z_ank, z_toe) - FOOT_RAD
    return a1, a2, a3, da1, da3, x_ank, h


def swing_commands(phi, q_hip, q_knee, q_ank, dq_knee, dq_ank, a1, a2, da1, x_ank, contact, a_tgt):
    q_hip_t = clip(a_tgt + phi, Q_HIP_MIN, Q_HIP_MAX)
    hip = KP_SH * (q_hip_t - q_hip) - KD_SH * da1 + G_COMP * max(math.sin(a1), 0.0)
    hip = clip(hip, -SH_MAX, SH_MAX)
    d = q_hip_t - q_hip
    flex = max(clip((d - 0.03) / 0.12, 0.0, 1.0), clip((-d - 0.1) / 0.12, 0.0, 1.0))
    knee_t = KNEE_EXT + (KNEE_FLEX - KNEE_EXT) * flex
    knee = KP_SK * (knee_t - q_knee) - KD_SK * dq_knee
    ank_t = clip(TOE_UP - a2, -ANK_LIM, ANK_LIM)
    ank_air = KP_SA * (ank_t - q_ank) - KD_SA * dq_ank
    push = -PUSH * clip((-x_ank - 0.05) / 0.1, 0.0, 1.0)
    ank = (1.0 - contact) * ank_air + contact * push
    return hip, knee, ank


def stance_commands(q_knee, dq_knee, a3, da3, v):
    knee = KP_STK * (KNEE_ST - q_knee) - KD_STK * dq_knee
    ank = KP_FLAT * (0.0 - a3) - KD_FLAT * da3 + clip(KV_ANK * (V_DES - v), ANK_V_MIN, ANK_V_MAX)
    return knee, ank


def policy(obs):
    o = np.asarray(obs, dtype=np.float64).reshape(-1)
    if o.shape[0] < 17 or not np.all(np.isfinite(o[:17])):
        return np.zeros(6)
    z = float(o[0])
    phi = float(o[1])
    vx = float(o[8])
    dphi = float(o[10])
    cphi = math.cos(phi)
    z_hip = z - TORSO_HALF * cphi
    v_hip = vx - TORSO_HALF * cphi * dphi

    rq = [float(o[2]), float(o[3]), float(o[4])]
    lq = [float(o[5]), float(o[6]), float(o[7])]
    rdq = [float(o[11]), float(o[12]), float(o[13])]
    ldq = [float(o[14]), float(o[15]), float(o[16])]

    ra1, ra2, ra3, rda1, rda3, rx, rh = leg_state(z_hip, phi, dphi, rq[0], rq[1], rq[2], rdq[0], rdq[1], rdq[2])
    la1, la2, la3, lda1, lda3, lx, lh = leg_state(z_hip, phi, dphi, lq[0], lq[1], lq[2], ldq[0], ldq[1], ldq[2])

    # foot placement target (capture point based), ankle x relative to hip
    b = clip(B0 + KB * (V_DES - v_hip), 0.0, B_MAX)
    x_tgt = clip(T_CP * v_hip - b, X_TGT_MIN, X_TGT_MAX)
    a_tgt = math.asin(clip(x_tgt / LEG_REACH, -0.6, 0.6))

    # torso pitch control (lean back more when faster to allow forward reach)
    phi_d = clip(PHI_0 + PHI_V * vx, PHI_MIN, PHI_MAX)
    torso = clip(KP_T * (phi_d - phi) - KD_T * dphi, -T_MAX, T_MAX)

    # stance / swing weights from contact geometry
    cr = clip((H_HI - rh) / (H_HI - H_LO), 0.0, 1.0)
    cl = clip((H_HI - lh) / (H_HI - H_LO), 0.0, 1.0)
    sr = -abs(rx - x_tgt) - VEL_PEN * abs(rda1) + R_BIAS
    sl = -abs(lx - x_tgt) - VEL_PEN * abs(lda1)
    wd = clip(0.5 + (sr - sl) / W_BAND, 0.0, 1.0)
    wf = clip(0.5 + (lh - rh) / H_BAND, 0.0, 1.0)
    wr = cr * (1.0 - cl) + cr * cl * wd + (1.0 - cr) * (1.0 - cl) * wf
    wr = clip(wr, 0.0, 1.0)
    wl = 1.0 - wr

    r_hip_sw, r_knee_sw, r_ank_sw = swing_commands(phi, rq[0], rq[1], rq[2], rdq[1], rdq[2],
                                                   ra1, ra2, rda1, rx, cr, a_tgt)
    l_hip_sw, l_knee_sw, l_ank_sw = swing_commands(phi, lq[0], lq[1], lq[2], ldq[1], ldq[2],
                                                   la1, la2, lda1, lx, cl, a_tgt)
    r_knee_st, r_ank_st = stance_commands(rq[1], rdq[1], ra3, rda3, v_hip)
    l_knee_st, l_ank_st = stance_commands(lq[1], ldq[1], la3, lda3, v_hip)

    # hips: swing parts plus stance share so that total torque on torso equals torso command
    r_sw_part = wl * r_hip_sw
    l_sw_part = wr * l_hip_sw
    x_st = torso - r_sw_part - l_sw_part
    hip_r = r_sw_part + wr * x_st
    hip_l = l_sw_part + wl * x_st

    knee_r = wr * r_knee_st + wl * r_knee_sw
    ank_r = wr * r_ank_st + wl * r_ank_sw
    knee_l = wl * l_knee_st + wr * l_knee_sw
    ank_l = wl * l_ank_st + wr * l_ank_sw

    act = np.array([hip_r, knee_r, ank_r, hip_l, knee_l, ank_l], dtype=np.float64)
    return np.clip(act, -1.0, 1.0)
