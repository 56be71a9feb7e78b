import math
import numpy as np

G = 9.81
GEAR = 200.0
M_TORSO = 3.665
M_THIGH = 4.058
M_LEG = 2.781
M_FOOT = 5.316
M_UPPER = M_TORSO + M_THIGH + M_LEG
M_TOTAL = M_UPPER + M_FOOT

FOOT_RADIUS = 0.06
HEEL_LEN = 0.13
TOE_LEN = 0.26

# hip: torso attitude
KP_TORSO = 2.0
KD_TORSO = 0.25
HIP_MARGIN = 0.08
TORSO_LEAN_MIN = -0.10
TORSO_GATE = 0.12

# knee
KNEE_STANCE = -0.3
KP_KNEE_STANCE = 0.7
KD_KNEE_STANCE = 0.1
KNEE_THRUST = -0.05
KP_KNEE_THRUST = 1.2
KD_KNEE_THRUST = 0.03
KNEE_FLIGHT = -0.1
KP_KNEE_FLIGHT = 0.6
KD_KNEE_FLIGHT = 0.08

# phase logic / hop regulation
CONTACT_HEIGHT = 0.015
APEX_TARGET = 0.62
V_MAX_THRUST = 0.8
XI_MAX_THRUST = 0.25

# ankle in stance (capture-point / centre-of-pressure law)
XI_DES = 0.13
K_XI = 1.5
P_MIN = -0.15
P_MAX = 0.30
P_PUSH = 0.05
K_FLAT = 0.3

# ankle in flight (foot attitude)
FOOT_PITCH_FLIGHT = 0.03
KP_FOOT = 1.0
KD_FOOT = 0.12


def clip(value, low, high):
    if value < low:
        return low
    if value > high:
        return high
    return value


def policy(obs):
    vals = []
    for i in range(11):
        v = float(obs[i])
        if not math.isfinite(v):
            v = 0.0
        vals.append(v)
    z, pt, qh, qk, qa, vx, vz, wt, wh, wk, wa = vals

    # world pitch of each segment (positive = top tilted forward)
    pth = pt - qh
    pl = pth - qk
    pf = pl - qa
    wth = wt - wh
    wl = wth - wk
    wf = wl - wa

    st = math.sin(pt)
    ct = math.cos(pt)
    sth = math.sin(pth)
    cth = math.cos(pth)
    sl = math.sin(pl)
    cl = math.cos(pl)
    sf = math.sin(pf)
    cf = math.cos(pf)

    # positions / velocities relative to the torso centre
    hx = -0.2 * st
    hz = -0.2 * ct
    hvx = -0.2 * ct * wt
    hvz = 0.2 * st * wt
    tx = hx - 0.225 * sth
    tz = hz - 0.225 * cth
    tvx = hvx - 0.225 * cth * wth
    tvz = hvz + 0.225 * sth * wth
    kx = hx - 0.45 * sth
    kz = hz - 0.45 * cth
    kvx = hvx - 0.45 * cth * wth
    kvz = hvz + 0.45 * sth * wth
    lx = kx - 0.25 * sl
    lz = kz - 0.25 * cl
    lvx = kvx - 0.25 * cl * wl
    lvz = kvz + 0.25 * sl * wl
    ax = kx - 0.5 * sl
    az = kz - 0.5 * cl
    avx = kvx - 0.5 * cl * wl
    avz = kvz + 0.5 * sl * wl
    fx = ax + 0.065 * cf
    fz = az - 0.065 * sf
    fvx = avx - 0.065 * sf * wf
    fvz = avz - 0.065 * cf * wf

    # upper-body COM (torso COM is the origin) and total COM
    ux = (M_THIGH * tx + M_LEG * lx) / M_UPPER
    uz = (M_THIGH * tz + M_LEG * lz) / M_UPPER
    uvx = (M_THIGH * tvx + M_LEG * lvx) / M_UPPER
    uvz = (M_THIGH * tvz + M_LEG * lvz) / M_UPPER

    xu = ux - ax
    zu = uz - az
    vu = uvx - avx

    zc = z + (M_UPPER * uz + M_FOOT * fz) / M_TOTAL
    vzc = vz + (M_UPPER * uvz + M_FOOT * fvz) / M_TOTAL
    vxc = vx + (M_UPPER * uvx + M_FOOT * fvx) / M_TOTAL

    # foot contact from kinematics (lowest point of the foot capsule)
    heel_z = az + HEEL_LEN * sf
    toe_z = az - TOE_LEN * sf
    foot_low = z + min(heel_z, toe_z) - FOOT_RADIUS
    contact = foot_low < CONTACT_HEIGHT

    # hip: keep torso upright, leaning back slightly only to stay off the hip stop
    pitch_des = clip(pth - HIP_MARGIN, TORSO_LEAN_MIN, 0.0)
    u0 = -KP_TORSO * (pt - pitch_des) - KD_TORSO * wt

    if contact:
        omega = math.sqrt(G / max(zu, 0.3))
        xi = xu + vu / omega
        apex = zc + max(vzc, 0.0) ** 2 / (2.0 * G)
        thrust_ok = (
            vzc >= 0.0
            and apex < APEX_TARGET
            and abs(pt) < TORSO_GATE
            and xu > 0.0
            and xi < XI_MAX_THRUST
            and vxc < V_MAX_THRUST
        )
        if thrust_ok:
            u1 = KP_KNEE_THRUST * (KNEE_THRUST - qk) - KD_KNEE_THRUST * wk
            p_extra = P_PUSH
        else:
            u1 = KP_KNEE_STANCE * (KNEE_STANCE - qk) - KD_KNEE_STANCE * wk
            p_extra = 0.0
        p = xi + K_XI * (xi - XI_DES) + p_extra
        p = clip(p, P_MIN, P_MAX)
        u2 = -M_UPPER * G * p / GEAR + K_FLAT * pf
    else:
        u1 = KP_KNEE_FLIGHT * (KNEE_FLIGHT - qk) - KD_KNEE_FLIGHT * wk
        u2 = KP_FOOT * (pf - FOOT_PITCH_FLIGHT) + KD_FOOT * wf

    action = np.array([u0, u1, u2], dtype=np.float64)
    action = np.nan_to_num(action)
    return np.clip(action, -1.0, 1.0)
