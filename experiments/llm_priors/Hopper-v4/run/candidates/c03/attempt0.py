import math

G = 9.81
GEAR = 200.0
M_TORSO = 3.665
M_THIGH = 4.058
M_LEG = 2.781
M_FOOT = 5.316
M_UPPER = M_TORSO + M_THIGH + M_LEG
M_TOTAL = M_UPPER + M_FOOT

# hip: torso attitude
KP_TORSO = 2.0
KD_TORSO = 0.25
TORSO_LEAN_MIN = -0.12
HIP_MARGIN = 0.08
TORSO_GATE = 0.15

# knee
KNEE_STANCE = -0.25
KP_KNEE_STANCE = 0.7
KD_KNEE_STANCE = 0.05
KNEE_THRUST = -0.05
KP_KNEE_THRUST = 0.9
KD_KNEE_THRUST = 0.03
KNEE_FLIGHT = -0.2
KP_KNEE_FLIGHT = 0.6
KD_KNEE_FLIGHT = 0.08

# hopping / phase logic
APEX_TARGET = 0.63
CONTACT_HEIGHT = 0.012
V_MAX_THRUST = 1.0
XI_MAX_THRUST = 0.35

# ankle in stance (centre-of-pressure law)
V_DES = 0.5
X_DES = 0.13
K_VEL = 1.2
K_POS = 2.0
P_MIN = -0.15
P_MAX = 0.40
P_PUSH = 0.08
K_FLAT = 0.3

# ankle in flight (foot attitude)
FOOT_PITCH_FLIGHT = 0.08
KP_FOOT = 1.0
KD_FOOT = 0.08


def clip(value, low, high):
    if value < low:
        return low
    if value > high:
        return high
    return value


def policy(obs):
    z = float(obs[0])
    pt = float(obs[1])
    qh = float(obs[2])
    qk = float(obs[3])
    qa = float(obs[4])
    vx = float(obs[5])
    vz = float(obs[6])
    wt = float(obs[7])
    wh = float(obs[8])
    wk = float(obs[9])
    wa = float(obs[10])

    # world pitch of each segment (positive = top forward)
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

    #
