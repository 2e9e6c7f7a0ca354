<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Drush;

use Drupal\entra_provisioning\Drush\Commands\EntraCommands;
use Drupal\entra_provisioning\Provisioning\BulkSync;
use Drupal\entra_provisioning\Provisioning\CommandSupport;
use Drupal\entra_provisioning\Provisioning\GroupOverview;
use Drupal\entra_provisioning\Provisioning\IdentityMatcher;
use Drupal\entra_provisioning\Provisioning\Importer;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\entra_provisioning\Provisioning\RemovalGuard;
use Drupal\entra_provisioning\Provisioning\RemovalRelease;
use Drupal\entra_provisioning\Provisioning\RequirementsEvaluator;
use Drupal\entra_provisioning\Provisioning\ResultFormatter;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;
use Drupal\Tests\entra_provisioning\Integration\Provisioning\ProvisioningTestTrait;
use Drush\Attributes as CLI;

require_once dirname(__DIR__, 2) . '/Support/drush-stubs.php';

/**
 * The Drush command class: where Drush looks for it, its attributes, its
 * autowiring, and what each command prints and exits with against the REAL
 * library and the Graph emulator (Drush itself replaced by stand-ins with
 * the same signatures, tests/src/Support/drush-stubs.php).
 */
final class EntraCommandsTest extends NativeTestCase {

  use ProvisioningTestTrait;

  private const COMMANDS = [
    'entra:test' => 'test',
    'entra:provision' => 'provision',
    'entra:import' => 'import',
    'entra:status' => 'status',
    'entra:matches' => 'matches',
    'entra:release-removals' => 'releaseRemovals',
    'entra:groups' => 'groups',
  ];

  private static function moduleDir(): string {
    return dirname(__DIR__, 4);
  }

  public function testTheClassIsWhereDrushDiscoversIt(): void {
    // Drush 12+ finds module commands at src/Drush/Commands/*Commands.php (PSR-4).
    $file = self::moduleDir() . '/src/Drush/Commands/EntraCommands.php';
    $this->assertFileExists($file);
    $this->assertSame(realpath($file), (new \ReflectionClass(EntraCommands::class))->getFileName());
    $this->assertSame('Drupal\\entra_provisioning\\Drush\\Commands', (new \ReflectionClass(EntraCommands::class))->getNamespaceName());
    $this->assertFileDoesNotExist(self::moduleDir() . '/drush.services.yml', 'no drush.services.yml: AutowireTrait instead');
    $class = new \ReflectionClass(EntraCommands::class);
    $this->assertSame(\Drush\Commands\DrushCommands::class, $class->getParentClass() ? $class->getParentClass()->getName() : NULL);
    $this->assertContains(\Drush\Commands\AutowireTrait::class, $class->getTraitNames());
  }

  public function testEveryCommandIsDeclaredWithConsistentAttributes(): void {
    $found = [];
    foreach ((new \ReflectionClass(EntraCommands::class))->getMethods(\ReflectionMethod::IS_PUBLIC) as $method) {
      $commands = $method->getAttributes(CLI\Command::class);
      if ($commands === []) {
        continue;
      }
      $command = $commands[0]->newInstance();
      $found[$command->name] = $method->getName();
      $parameters = [];
      $optionDefaults = [];
      foreach ($method->getParameters() as $parameter) {
        if ($parameter->getName() === 'options') {
          $optionDefaults = (array) $parameter->getDefaultValue();
        }
        else {
          $parameters[] = $parameter->getName();
        }
      }
      $arguments = array_map(static fn (\ReflectionAttribute $a): string => $a->newInstance()->name, $method->getAttributes(CLI\Argument::class));
      $this->assertSame($parameters, $arguments, $command->name . ': every argument is described, in order');
      $options = array_map(static fn (\ReflectionAttribute $a): string => $a->newInstance()->name, $method->getAttributes(CLI\Option::class));
      $this->assertEqualsCanonicalizing(array_keys($optionDefaults), $options, $command->name . ': every option is described');
      $usages = $method->getAttributes(CLI\Usage::class);
      $this->assertNotEmpty($usages, $command->name . ' has an example');
      foreach ($usages as $usage) {
        $this->assertStringStartsWith('drush ' . $command->name, $usage->newInstance()->name);
        $this->assertArrayHasKey('name', $usage->getArguments(), 'Usage takes name: in Drush 12/13');
      }
      $this->assertSame('int', (string) $method->getReturnType(), $command->name . ' returns its exit code');
    }
    ksort($found);
    $expected = self::COMMANDS;
    ksort($expected);
    $this->assertSame($expected, $found);
  }

  public function testTheConstructorIsAutowirableFromTheModuleServices(): void {
    $services = yaml_parse_file(self::moduleDir() . '/entra_provisioning.services.yml')['services'];
    foreach ((new \ReflectionMethod(EntraCommands::class, '__construct'))->getParameters() as $parameter) {
      $type = ltrim((string) $parameter->getType(), '?');
      $this->assertArrayHasKey($type, $services, sprintf('AutowireTrait looks up the service "%s" ($%s)', $type, $parameter->getName()));
    }
  }

  private function command(): EntraCommands {
    $services = [
      Provisioner::class => $this->provisioner,
      BulkSync::class => $this->bulk,
      Importer::class => $this->importer,
      RequirementsEvaluator::class => new RequirementsEvaluator($this->clients, $this->queue, $this->links, $this->state, $this->matches, $this->removalGuard),
      ResultFormatter::class => new ResultFormatter(),
      IdentityMatcher::class => $this->matcher,
      RemovalGuard::class => $this->removalGuard,
      RemovalRelease::class => new RemovalRelease($this->importer, $this->provisioner),
      GroupOverview::class => new GroupOverview($this->clients),
    ];
    $container = new class ($services) {
      /**
       * @param array<string, object> $services
       */
      public function __construct(private array $services) {
      }

      public function has(string $id): bool {
        return isset($this->services[$id]);
      }

      public function get(string $id): object {
        return $this->services[$id];
      }
    };

    return EntraCommands::create($container);
  }

  public function testEntraTest(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $command = $this->command();
    $this->assertSame(0, $command->test());
    $this->assertStringContainsString('Adele Vance', $command->recorder()->text());
    $this->assertStringContainsString('Connected: read adele@contoso.onmicrosoft.com', $command->recorder()->text());

    $command = $this->command();
    $this->assertSame(1, $command->test('nobody@contoso.onmicrosoft.com'));
    $this->assertStringContainsString('Not found in Entra ID', implode(' ', $command->recorder()->of('error')));
  }

  public function testEntraTestFailsWhenAPermissionIsMissing(): void {
    $emulator = $this->startEmulator(['--permissions', 'User.Read.All']);
    $this->wire($emulator);
    $command = $this->command();
    $this->assertSame(1, $command->test());
    $this->assertStringContainsString('lacks User.ReadWrite.All', implode(' ', $command->recorder()->of('error')));
  }

  public function testEntraGroupsListsTheMappedGroupsWithTheirMembers(): void {
    $staff = '50000000-0000-4000-8000-000000000001';
    $nested = '50000000-0000-4000-8000-000000000002';
    $dynamic = '50000000-0000-4000-8000-000000000003';
    $emulator = $this->startEmulator([
      '--permissions', 'User.ReadWrite.All,GroupMember.ReadWrite.All',
      '--seed-user', 'ann@contoso.onmicrosoft.com|Ann|',
      '--seed-user', 'bob@contoso.onmicrosoft.com|Bob|',
      '--seed-group', $nested . '|Paris|security|ann@contoso.onmicrosoft.com',
      '--seed-group', $staff . '|Staff|security|bob@contoso.onmicrosoft.com;' . $nested,
      '--seed-group', $dynamic . '|Sales dynamic|dynamic|',
    ]);
    $this->wire($emulator);
    $command = $this->command();
    $this->assertSame(0, $command->groups());
    $this->assertStringContainsString('No group is mapped', $command->recorder()->text());

    $this->configure(['groups' => [
      'import_rules' => [['group_id' => $staff, 'role' => 'editor', 'confirmed' => FALSE]],
      'provision_rules' => [['role' => 'sales', 'group_id' => $dynamic]],
    ]]);
    $command = $this->command();
    $this->assertSame(0, $command->groups());
    $rows = $command->recorder()->of('table')[0]['rows'];
    // Graph's transitive $count counts every member object: Bob, the
    // nested group Paris and Ann in it.
    $this->assertSame(['Staff', $staff, 'gives role editor', 3, 'yes'], $rows[0]);
    $this->assertSame(['Sales dynamic', $dynamic, 'members with role sales'], array_slice($rows[1], 0, 3));
    $this->assertStringStartsWith('no: ', (string) $rows[1][4]);
  }

  public function testEntraImportAndProvisionReportTheMembershipChanges(): void {
    $staff = '50000000-0000-4000-8000-000000000011';
    $emulator = $this->startEmulator([
      '--permissions', 'User.ReadWrite.All,GroupMember.ReadWrite.All',
      '--seed-user', 'ann@contoso.onmicrosoft.com|Ann|ann@contoso.com',
      '--seed-group', $staff . '|Staff|security|ann@contoso.onmicrosoft.com',
    ], FALSE);
    $this->wire($emulator, [
      'direction' => ['entra_to_drupal' => TRUE],
      'groups' => [
        'import_rules' => [['group_id' => $staff, 'role' => 'editor', 'confirmed' => FALSE]],
        'provision_rules' => [['role' => 'staff', 'group_id' => $staff]],
      ],
    ]);
    $command = $this->command();
    $this->assertSame(0, $command->import(['full' => FALSE, 'dry-run' => FALSE]));
    $tables = $command->recorder()->of('table');
    $roleTable = array_values(array_filter($tables, static fn (array $t): bool => ($t['headers'][0] ?? '') === 'Role change'));
    $this->assertCount(1, $roleTable, json_encode($tables) ?: '');
    $this->assertSame('grant', $roleTable[0]['rows'][0][0]);
    $this->assertSame(['editor', $staff], [$roleTable[0]['rows'][0][2], $roleTable[0]['rows'][0][3]]);

    $this->users->add(60, 'kim', 'kim@example.com');
    $this->users->users[60]['roles'] = ['authenticated', 'staff'];
    $command = $this->command();
    $this->assertSame(0, $command->provision(['kim'], ['all' => FALSE, 'dry-run' => FALSE, 'chunk' => NULL]));
    $this->assertStringContainsString('1 Entra ID group membership change(s) queued', implode(' ', $command->recorder()->of('note')));
    $this->assertSame(['memberships'], array_column($this->queue->data(), 'op'));
  }

  public function testEntraProvision(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $this->users->add(1, 'admin');
    $this->users->add(2, 'jdoe');
    $this->users->add(3, 'adele', 'adele@contoso.com');
    $this->users->add(4, '@@ ??', 'bad@example.com');

    $command = $this->command();
    $this->assertSame(1, $command->provision([], ['all' => FALSE, 'dry-run' => FALSE, 'chunk' => NULL]));
    $this->assertStringContainsString('or use --all', $command->recorder()->text());
    $this->assertSame(1, $this->command()->provision(['jdoe'], ['all' => TRUE, 'dry-run' => FALSE, 'chunk' => NULL]));
    $this->assertSame(1, $this->command()->provision([], ['all' => TRUE, 'dry-run' => FALSE, 'chunk' => 'abc']));
    // Above the library's limit per call (entra_describe: 1000).
    $command = $this->command();
    $this->assertSame(1, $command->provision([], ['all' => TRUE, 'dry-run' => FALSE, 'chunk' => '1001']));
    $this->assertStringContainsString('between 1 and 1000, got 1001', implode(' ', $command->recorder()->of('error')));

    // Dry run: the mapping, password redacted, nothing sent.
    $log = count($this->requestLog($emulator));
    $command = $this->command();
    $this->assertSame(0, $command->provision(['jdoe'], ['all' => FALSE, 'dry-run' => TRUE, 'chunk' => NULL]));
    $this->assertStringContainsString('jdoe@contoso.onmicrosoft.com', $command->recorder()->text());
    $this->assertStringContainsString('[REDACTED]', $command->recorder()->text());
    $this->assertSame($log, count($this->requestLog($emulator)), 'a dry run sends nothing');

    // Named users, one unknown: created, a pending match (adele exists in
    // Entra and this site did not create her), and a failure -> exit 1.
    $command = $this->command();
    $this->assertSame(1, $command->provision(['jdoe', 'adele', 'nobody'], ['all' => FALSE, 'dry-run' => FALSE, 'chunk' => '1']));
    $tables = $command->recorder()->of('table');
    $this->assertSame([['created', 1], ['linked', 0], ['updated', 0], ['unchanged', 0], ['match pending', 1], ['failed', 1]], $tables[0]['rows']);
    $this->assertSame([[0, 'nobody', 'No Drupal account has this username.']], $tables[1]['rows']);
    $this->assertStringContainsString('drush entra:matches', implode(' ', $command->recorder()->of('note')));

    // Everyone but uid 1: jdoe linked now (unchanged), adele still a
    // pending match, one that cannot be mapped.
    $command = $this->command();
    $this->assertSame(1, $command->provision([], ['all' => TRUE, 'dry-run' => FALSE, 'chunk' => NULL]));
    $this->assertSame([['created', 0], ['linked', 0], ['updated', 0], ['unchanged', 1], ['match pending', 1], ['failed', 1]], $command->recorder()->of('table')[0]['rows']);
    $this->assertSame([], $this->emulatorUsersNamed($emulator, 'admin@contoso.onmicrosoft.com'), 'uid 1 is left out by default');

    // --include-uid1 includes it.
    unset($this->users->users[4]);
    $this->assertSame(0, $this->command()->provision([], ['all' => TRUE, 'dry-run' => FALSE, 'chunk' => NULL, 'include-uid1' => TRUE]));
    $this->assertCount(1, $this->emulatorUsersNamed($emulator, 'admin@contoso.onmicrosoft.com'));
  }

  public function testEntraMatchesListsApprovesAndRejects(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $this->users->add(5, 'adele');
    $this->assertSame('match_pending', $this->provisioner->provisionNow(5)->result['action']);
    $id = $this->matcher->pending()[0]->id;

    $command = $this->command();
    $this->assertSame(0, $command->matches(['approve' => NULL, 'reject' => NULL]));
    $rows = $command->recorder()->of('table')[0]['rows'];
    $this->assertSame([(string) $id, 'provisioning', '5', 'adele@contoso.onmicrosoft.com', 'Adele Vance', 'adele@contoso.com', 'userPrincipalName'], array_slice($rows[0], 0, 7));

    $this->assertSame(1, $this->command()->matches(['approve' => 'x', 'reject' => NULL]));
    $this->assertSame(1, $this->command()->matches(['approve' => '999', 'reject' => NULL]));
    $command = $this->command();
    $this->assertSame(0, $command->matches(['approve' => (string) $id, 'reject' => NULL]));
    $this->assertStringContainsString('approved', implode(' ', $command->recorder()->of('success')));
    $this->assertSame('approved', $this->links->load(5)->provenance);
    $this->assertSame(1, $this->command()->matches(['approve' => NULL, 'reject' => (string) $id]), 'nothing left to reject');
  }
  /**
   * The bar (stderr) is finished and taken off the screen before the first
   * result table (stdout) is printed.
   */
  public function testProgressBarsEndBeforeTheTables(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, ['direction' => ['entra_to_drupal' => TRUE]]);
    $this->users->add(1, 'jdoe');
    $this->users->add(2, 'mmeier');

    $runs = [
      'entra:provision' => fn (EntraCommands $c): int => $c->provision(['jdoe', 'mmeier'], ['all' => FALSE, 'dry-run' => FALSE, 'chunk' => '1']),
      'entra:import' => fn (EntraCommands $c): int => $c->import(['full' => TRUE, 'dry-run' => TRUE]),
    ];
    foreach ($runs as $name => $run) {
      // On a terminal: finish() then clear(), then the tables.
      $command = $this->command();
      $run($command);
      $io = $command->recorder();
      $table = $io->firstIndexOf('table');
      $this->assertNotNull($table, $name . ' prints a table');
      $this->assertNotNull($io->firstIndexOf('progress', 'start'), $name . ' starts a bar');
      $finish = $io->firstIndexOf('progress', 'finish');
      $clear = $io->firstIndexOf('progress', 'clear');
      $this->assertNotNull($finish, $name . ': the bar is finished');
      $this->assertNotNull($clear, $name . ': the bar is cleared');
      $this->assertLessThan($clear, $finish, $name . ': finished, then cleared');
      $this->assertLessThan($table, $clear, $name . ': cleared before the first table');
      $this->assertTrue($io->progressFinished);
      $this->assertTrue($io->progressCleared);
      $this->assertSame($io->progressMax, $io->progress, $name . ': the bar stands at its end');
      $this->assertNull($io->firstIndexOf('stderr'), $name . ': nothing else on stderr');
      $after = array_filter(array_slice($io->calls, $table), static fn (array $c): bool => $c[0] === 'progress');
      $this->assertSame([], $after, $name . ': no bar after the table');

      // Output piped (no ANSI): clear() cannot erase, the bar's line is ended on stderr.
      $command = $this->command();
      $command->recorder()->errorDecorated = FALSE;
      $run($command);
      $io = $command->recorder();
      $this->assertFalse($io->progressCleared);
      $newline = $io->firstIndexOf('stderr');
      $this->assertNotNull($newline, $name . ': the bar line is ended');
      $this->assertSame(PHP_EOL, $io->calls[$newline][1]);
      $this->assertLessThan($io->firstIndexOf('table'), $newline);
    }
  }

  public function testEntraImportAndStatus(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, ['direction' => ['entra_to_drupal' => TRUE]]);
    $command = $this->command();
    $this->assertSame(0, $command->import(['full' => FALSE, 'dry-run' => TRUE]));
    $this->assertStringContainsString('Would create the account', $command->recorder()->text());
    $this->assertSame([], $this->accounts->accounts);

    $command = $this->command();
    $this->assertSame(0, $command->import(['full' => TRUE, 'dry-run' => FALSE]));
    $this->assertCount(1, $this->accounts->accounts);
    $this->assertGreaterThan(0, $command->recorder()->progress);

    $command = $this->command();
    $exit = $command->status();
    $text = $command->recorder()->text();
    foreach (['FFI for this PHP', 'Entra provisioning library', 'Entra provisioning ABI', 'Entra provisioning configuration', 'Entra client secret', 'Entra provisioned accounts', 'Entra provisioning queue', 'Last delta sync'] as $check) {
      $this->assertStringContainsString($check, $text);
    }
    $rows = $command->recorder()->of('table')[0]['rows'];
    $this->assertSame('Last delta sync (Entra ID → Drupal)', end($rows)[0]);
    $this->assertStringEndsWith(' UTC', end($rows)[1], 'the import above completed a round');
    $lines = (new RequirementsEvaluator($this->clients, $this->queue, $this->links, $this->state, $this->matches, $this->removalGuard))->evaluate();
    $this->assertSame(CommandSupport::statusExitCode($lines), $exit);
    // No connection test was run: the report warns; no line is an error.
    $this->assertSame(0, $exit);

    $this->configure(['direction' => ['entra_to_drupal' => FALSE]]);
    $command = $this->command();
    $this->assertSame(1, $command->import(['full' => FALSE, 'dry-run' => FALSE]));
    $this->assertStringContainsString('Entra ID to Drupal is not enabled', implode(' ', $command->recorder()->of('error')));
  }

  public function testCommandSupport(): void {
    $this->assertNull(CommandSupport::chunkOption(NULL));
    $this->assertNull(CommandSupport::chunkOption(''));
    $this->assertSame(250, CommandSupport::chunkOption('250'));
    foreach (['0', 'ten', '1.5', '-3'] as $bad) {
      try {
        CommandSupport::chunkOption($bad);
        $this->fail('accepted --chunk=' . $bad);
      }
      catch (\InvalidArgumentException $e) {
        $this->assertStringContainsString('--chunk', $e->getMessage());
      }
    }
    $this->assertSame(0, CommandSupport::testExitCode(['ok' => TRUE, 'missing_permissions' => []]));
    $this->assertSame(0, CommandSupport::testExitCode(['ok' => TRUE, 'missing_permissions' => NULL]));
    $this->assertSame(1, CommandSupport::testExitCode(['ok' => TRUE, 'missing_permissions' => ['User.Read.All']]));
    $this->assertSame(1, CommandSupport::testExitCode(['ok' => FALSE]));
    $this->assertSame(0, CommandSupport::statusExitCode([['severity' => 'ok'], ['severity' => 'warning']]));
    $this->assertSame(1, CommandSupport::statusExitCode([['severity' => 'info'], ['severity' => 'error']]));
  }

}
