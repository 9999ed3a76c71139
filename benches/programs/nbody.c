/* N-body simulation (the Computer Language Benchmarks Game's five Jovian planets), 500k
 * steps of dt = 0.01: the C baseline for nbody.nyash. Bodies are structs in an array; the
 * arithmetic is written in exactly the order of the Nyash and Lua versions so the energies
 * are bit-identical. Prints floor(energy * 1e9) before and after. */
#include <math.h>
#include <stdio.h>

#define PI 3.141592653589793
#define SOLAR_MASS (4.0 * PI * PI)
#define DAYS_PER_YEAR 365.24

typedef struct {
    double x, y, z, vx, vy, vz, mass;
} Body;

static Body body(double x, double y, double z, double vx, double vy, double vz, double mass) {
    Body b = {x, y, z, vx * DAYS_PER_YEAR, vy * DAYS_PER_YEAR, vz * DAYS_PER_YEAR,
              mass * SOLAR_MASS};
    return b;
}

static void advance(Body *bodies, int n, double dt) {
    for (int i = 0; i < n; i++) {
        Body *bi = &bodies[i];
        for (int j = i + 1; j < n; j++) {
            Body *bj = &bodies[j];
            double dx = bi->x - bj->x;
            double dy = bi->y - bj->y;
            double dz = bi->z - bj->z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * sqrt(d2));
            double bim = bi->mass * mag;
            double bjm = bj->mass * mag;
            bi->vx = bi->vx - dx * bjm;
            bi->vy = bi->vy - dy * bjm;
            bi->vz = bi->vz - dz * bjm;
            bj->vx = bj->vx + dx * bim;
            bj->vy = bj->vy + dy * bim;
            bj->vz = bj->vz + dz * bim;
        }
    }
    for (int i = 0; i < n; i++) {
        Body *b = &bodies[i];
        b->x = b->x + dt * b->vx;
        b->y = b->y + dt * b->vy;
        b->z = b->z + dt * b->vz;
    }
}

static double energy(Body *bodies, int n) {
    double e = 0.0;
    for (int i = 0; i < n; i++) {
        Body *bi = &bodies[i];
        e = e + 0.5 * bi->mass * (bi->vx * bi->vx + bi->vy * bi->vy + bi->vz * bi->vz);
        for (int j = i + 1; j < n; j++) {
            Body *bj = &bodies[j];
            double dx = bi->x - bj->x;
            double dy = bi->y - bj->y;
            double dz = bi->z - bj->z;
            e = e - bi->mass * bj->mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void offset_momentum(Body *bodies, int n) {
    double px = 0.0, py = 0.0, pz = 0.0;
    for (int i = 0; i < n; i++) {
        px = px + bodies[i].vx * bodies[i].mass;
        py = py + bodies[i].vy * bodies[i].mass;
        pz = pz + bodies[i].vz * bodies[i].mass;
    }
    bodies[0].vx = 0.0 - px / SOLAR_MASS;
    bodies[0].vy = 0.0 - py / SOLAR_MASS;
    bodies[0].vz = 0.0 - pz / SOLAR_MASS;
}

int main(void) {
    Body bodies[5];
    bodies[0] = body(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0);
    bodies[1] = body(4.84143144246472090, -1.16032004402742839, -0.103622044471123109,
                     0.00166007664274403694, 0.00769901118419740425, -0.0000690460016972063023,
                     0.000954791938424326609);
    bodies[2] = body(8.34336671824457987, 4.12479856412430479, -0.403523417114321381,
                     -0.00276742510726862411, 0.00499852801234917238, 0.0000230417297573763929,
                     0.000285885980666130812);
    bodies[3] = body(12.8943695621391310, -15.1111514016986312, -0.223307578892655734,
                     0.00296460137564761618, 0.00237847173959480950, -0.0000296589568540237556,
                     0.0000436624404335156298);
    bodies[4] = body(15.3796971148509165, -25.9193146099879641, 0.179258772950371181,
                     0.00268067772490389322, 0.00162824170038242295, -0.0000951592254519715870,
                     0.0000515138902046611451);
    offset_momentum(bodies, 5);
    printf("%ld\n", (long)floor(energy(bodies, 5) * 1000000000.0));
    volatile long steps = 1000000;
    for (long s = 0; s < steps; s++) {
        advance(bodies, 5, 0.01);
    }
    printf("%ld\n", (long)floor(energy(bodies, 5) * 1000000000.0));
    return 0;
}
