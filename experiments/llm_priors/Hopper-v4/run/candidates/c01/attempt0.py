import math

G = 9.81
M_TORSO = 3.665
M_THIGH = 4.058
M_SHIN = 2.781
M_FOOT = 5.316
M_TOTAL = M_TORSO + M_THIGH + M_SHIN + M_FOOT
GEAR = 200.0

# hip: torso attitude servo
P_DES = 0.02
KP_TORSO = 2.0
KD_TORSO = 0.25

# knee: leg spring / thrust / flight posture
Q2_STANCE = -0.35
Q2_THRUST = -0.05
Q2_FLIGHT = -0.15
KK_STANCE = 1.5
KK_THRUST = 2.0
KK_FLIGHT = 1.0
DK_KNEE = 0.1
HIP_MARGIN = 0.10
K_HIP_MARGIN = 3.0
VZ_MAX = 0.8

# ankle: capture-point balance in stance, flat foot in flight
V_DES = 0.45
V_MAX = 1.0
XI_HOME = 0.10
K_XI = 2.0
COP_MIN = -0.07
COP_MAX = 0.22
XI_PUSH = 0.26
K_PUSH = 2.0
XI_CAPTURE = 0.30
U2_MIN = -0.45
U2_MAX = 0.20
KA_FLIGHT = 0.8
DA_FLIGHT = 0.08
FOOT_PITCH_DES = 0.0
CONTACT_H = 0.015


def clip(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def policy(obs):
    z = float(obs[0])
    p = float(obs[1])
    q1 = float(obs[2])
    q2 = float(obs[3])
    q3 = float(obs[4])
    vx = float(obs[5])
    vz = float(obs[6])
    w0 = float(obs[7])
    dq2 = float(obs[9])
    w1 = w0 - float(obs[8])
    w2 = w1 - dq2
    w3 = w2 - float(obs[10])

    # absolute pitch of each segment (rotation about +y, top forward > 0)
    t1 = p - q1
    t2 = t1 - q2
    t3 = t2 - q3
    s0 = math.sin(p)
    c0 = math.cos(p)
    s1 = math.sin(t1)
    c1 = math.cos(t1)
    s2 = math.sin(t2)
    c2 = math.cos(t2)
    s3 = math.sin(t3)
    c3 = math.cos(t3)

    # positions / velocities relative to torso centre
    hx = -0.2 * s0
    hz = -0.2 * c0
    hvx = -0.2 * c0 * w0
    hvz = 0.2 * s0 * w0
    kx = hx - 0.45 * s1
    kz = hz - 0.45 * c1
    kvx = hvx - 0.45 * c1 * w1
    kvz = hvz + 0.45 * s1 * w1
    ax = kx - 0.5 * s2
    az = kz - 0.5 * c2
    avx = kvx - 0.5 * c2 * w2
    avz = kvz + 0.5 * s2 * w2
    thx = hx - 0.225 * s1
    thz = hz - 0.225 * c1
    thvx = hvx - 0.225 * c1 * w1
    thvz = hvz + 0.225 * s1 * w1
    shx = kx - 0.25 * s2
    shz = kz - 0.25 * c2
    shvx = kvx - 0.25 * c2 * w2
    shvz = kvz + 0.25 * s2 * w2
    fx = ax + 0.065 * c3
    fz = az - 0.065 * s3
    fvx = avx - 0.065 * s3 * w3
    fvz = avz - 0.065 * c3 * w3

    comx = (M_THIGH * thx + M_SHIN * shx + M_FOOT * fx) / M_TOTAL
    comz = (M_THIGH * thz + M_SHIN * shz + M_FOOT * fz) / M_TOTAL
    vcx = vx + (M_THIGH * thvx + M_SHIN * shvx + M_FOOT * fvx) / M_TOTAL
    vcz = vz + (M_THIGH * thvz + M_SHIN * shvz + M_FOOT * fvz) / M_TOTAL

    foot_h = z + min(az + 0.13 * s3, az - 0.26 * s3) - 0.06
    contact = foot_h < CONTACT_H

    h = max(z + comz, 0.3)
    omega = math.sqrt(G / h)
    xrel = comx - ax
    xi = xrel + vcx / omega

    # safety gate (1 = safe to add energy / drive forward)
    s_p = clip((0.12 - abs(p - P_DES)) / 0.06, 0.0, 1.0)
    s_w = clip((2.0 - abs(w0)) / 1.0, 0.0, 1.0)
    s_h = clip(-q1 / 0.06, 0.0, 1.0)
    s_v = clip((V_MAX - vcx) / 0.3, 0.0, 1.0)
    safe = s_p * s_w * s_h * s_v
    capture = clip((xi - XI_CAPTURE) / 0.05, 0.0, 1.0) * s_p * s_w
    gate_ok = max(safe, capture)

    # hip: torso pitch servo
    u0 = -KP_TORSO * (p - P_DES) - KD_TORSO * w0

    hip_guard = K_HIP_MARGIN * (q1 + HIP_MARGIN)

    if contact:
        # ankle: capture-point regulation via centre of pressure
        v_t = V_DES * safe
        cop = xi + K_XI * (xi - XI_HOME) / omega - v_t / omega
        cop = clip(cop, COP_MIN, COP_MAX)
        tau = M_FOOT * G * 0.065 - M_TOTAL * G * cop
        u2 = tau / GEAR
        if xi > XI_PUSH:
            u2 = u2 - K_PUSH * (xi - XI_PUSH)
        u2 = clip(u2, U2_MIN, U2_MAX)
        # knee: compliant spring while descending, thrust while rising
        rise = clip((vcz + 0.05) / 0.15, 0.0, 1.0)
        cap_v = clip((VZ_MAX - vcz) / 0.3, 0.0, 1.0)
        g = gate_ok * rise * cap_v
        q2t = Q2_STANCE + g * (Q2_THRUST - Q2_STANCE)
        kk = KK_STANCE + g * (KK_THRUST - KK_STANCE)
        u1 = kk * (q2t - q2) - DK_KNEE * dq2
        u1 = max(u1, hip_guard)
    else:
        # flight: knee to landing posture, foot level
        u1 = KK_FLIGHT * (Q2_FLIGHT - q2) - DK_KNEE * dq2
        u1 = max(u1, hip_guard)
        u2 = KA_FLIGHT * (t3 - FOOT_PITCH_DES) + DA_FLIGHT * w3

    return [clip(u0, -1.0, 1.0), clip(u1, -1.0, 1.0), clip(u2, -1.0, 1.0)]
