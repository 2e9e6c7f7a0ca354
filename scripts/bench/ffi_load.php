<?php

/**
 * @file
 * One sample of the per-process load cost, run in a fresh `php` process by
 * ffi.php: reading the committed header + FFI::cdef (parse + dlopen), then the
 * first native client (entra_client_new: runtime-free, no network), and the
 * binding's own first use (EntraNative::connect, which also checks the ABI).
 * Prints BENCH_RESULT=<json>.
 */

declare(strict_types=1);

namespace EntraBench;

require __DIR__ . '/lib.php';

use Drupal\entra_provisioning\Native\EntraNative;

$opts = new Options($argv);
$paths = $opts->artifacts();
$which = $opts->string('which', 'raw');

if ($which === 'raw') {
    $t0 = hrtime(true);
    $ffi = \FFI::cdef((string) file_get_contents($paths['header']), $paths['library']);
    $t1 = hrtime(true);
    $abi = $ffi->entra_abi_version();
    $t2 = hrtime(true);
    $client = $ffi->new('EntraClient*');
    $out = $ffi->new('char*');
    $config = json_encode(client_config('http://127.0.0.1:9'), JSON_THROW_ON_ERROR);
    $t3 = hrtime(true);
    $status = $ffi->entra_client_new($config, \FFI::addr($client), \FFI::addr($out));
    $t4 = hrtime(true);
    if (!\FFI::isNull($out)) {
        $ffi->entra_string_free($out);
    }
    $ffi->entra_client_free($client);
    emit(['cdef_us' => ($t1 - $t0) / 1e3, 'first_call_us' => ($t2 - $t1) / 1e3, 'client_new_us' => ($t4 - $t3) / 1e3, 'abi' => $abi, 'status' => (int) $status]);
} else {
    $t0 = hrtime(true);
    $native = native($paths, client_config('http://127.0.0.1:9'));
    $native->connect();
    $t1 = hrtime(true);
    $native->mapUser(drupal_users('load.user', 0, 1)[0]);
    $t2 = hrtime(true);
    emit(['binding_connect_us' => ($t1 - $t0) / 1e3, 'binding_first_map_us' => ($t2 - $t1) / 1e3]);
}
