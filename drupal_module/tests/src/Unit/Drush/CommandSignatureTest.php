<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Drush;

use Drupal\entra_provisioning\Drush\Commands\EntraCommands;
use Drupal\Tests\entra_provisioning\Support\AnnotatedCommandRules as Rules;
use Drush\Attributes as CLI;
use PHPUnit\Framework\TestCase;

require_once dirname(__DIR__, 2) . '/Support/drush-stubs.php';

/**
 * Every command line the commands document reaches the method as Drush
 * would pass it: parsed by annotated-command's and Symfony's rules
 * (AnnotatedCommandRules), and of the parameter types the method declares.
 *
 * The Drush stand-ins call the methods directly, so only this test sees a
 * signature that Drush turns into something else.
 */
final class CommandSignatureTest extends TestCase {

  /**
   * @return array<string, \ReflectionMethod>
   *   Keyed by command name.
   */
  private static function commands(): array {
    $commands = [];
    foreach ((new \ReflectionClass(EntraCommands::class))->getMethods(\ReflectionMethod::IS_PUBLIC) as $method) {
      $attributes = $method->getAttributes(CLI\Command::class);
      if ($attributes !== []) {
        $commands[$attributes[0]->newInstance()->name] = $method;
      }
    }

    return $commands;
  }

  private static function method(string $command): \ReflectionMethod {
    return self::commands()[$command];
  }

  public function testEveryDocumentedUsageParsesAndTypeChecks(): void {
    $commands = self::commands();
    $this->assertCount(7, $commands);
    foreach ($commands as $name => $method) {
      $definition = Rules::definition($method);
      $this->assertSame($name, $definition['name']);
      $this->assertNotEmpty($definition['usages'], $name . ' documents a usage');
      foreach ($definition['usages'] as $usage) {
        try {
          $args = Rules::invoke($method, $usage);
        }
        catch (\Throwable $e) {
          $this->fail(sprintf('"%s" fails in Drush: %s', $usage, $e->getMessage()));
        }
        $this->assertIsArray(end($args), $usage . ': the options array comes last');
      }
    }
  }

  public function testProvisionTakesAnOptionalListOfNames(): void {
    $definition = Rules::definition(self::method('entra:provision'));
    $this->assertSame(['names' => ['mode' => Rules::ARGUMENT_IS_ARRAY, 'default' => []]], $definition['arguments'], 'names: optional, a list');
    $this->assertSame(Rules::VALUE_NONE, $definition['options']['all']['mode']);
    $this->assertSame(Rules::VALUE_NONE, $definition['options']['dry-run']['mode']);
    $this->assertSame(Rules::VALUE_REQUIRED, $definition['options']['chunk']['mode']);
    $this->assertContains('drush entra:provision --all --dry-run', $definition['usages']);
  }

  public function testProvisionCommandLines(): void {
    $method = self::method('entra:provision');
    $cases = [
      'drush entra:provision --all --dry-run' => [[], ['all' => TRUE, 'dry-run' => TRUE, 'chunk' => NULL]],
      'drush entra:provision bob' => [['bob'], ['all' => FALSE, 'dry-run' => FALSE, 'chunk' => NULL]],
      'drush entra:provision jdoe asmith' => [['jdoe', 'asmith'], ['all' => FALSE, 'dry-run' => FALSE, 'chunk' => NULL]],
      'drush entra:provision jdoe --dry-run' => [['jdoe'], ['all' => FALSE, 'dry-run' => TRUE, 'chunk' => NULL]],
      'drush entra:provision --all --chunk=200' => [[], ['all' => TRUE, 'dry-run' => FALSE, 'chunk' => '200']],
      'drush entra:provision --all --chunk 200' => [[], ['all' => TRUE, 'dry-run' => FALSE, 'chunk' => '200']],
      'drush entra-provision --all' => [[], ['all' => TRUE, 'dry-run' => FALSE, 'chunk' => NULL]],
      // No name and no --all: the command itself says what is missing.
      'drush entra:provision' => [[], ['all' => FALSE, 'dry-run' => FALSE, 'chunk' => NULL]],
    ];
    foreach ($cases as $line => [$names, $options]) {
      $args = Rules::invoke($method, $line);
      $this->assertCount(2, $args, $line);
      $this->assertSame($names, $args[0], $line);
      $this->assertSame($options, array_intersect_key($args[1], $options), $line);
    }
  }

  public function testOtherCommandLines(): void {
    $this->assertSame('', Rules::invoke(self::method('entra:test'), 'drush entra:test')[0]);
    $this->assertSame('adele@contoso.onmicrosoft.com', Rules::invoke(self::method('entra:test'), 'drush entra:test adele@contoso.onmicrosoft.com')[0]);
    $import = Rules::invoke(self::method('entra:import'), 'drush entra:import --full --dry-run');
    $this->assertSame(['full' => TRUE, 'dry-run' => TRUE], array_intersect_key($import[0], ['full' => 0, 'dry-run' => 0]));
    $this->assertIsArray(Rules::invoke(self::method('entra:status'), 'drush entra:status')[0]);
  }

  public function testCommandLinesDrushRefuses(): void {
    $cases = [
      ['entra:provision', 'drush entra:provision --everyone', 'The "--everyone" option does not exist.'],
      ['entra:provision', 'drush entra:provision --all=1', 'The "--all" option does not accept a value.'],
      ['entra:provision', 'drush entra:provision --all --chunk', 'The "--chunk" option requires a value.'],
      ['entra:status', 'drush entra:status now', 'No arguments expected for "entra:status" command, got "now".'],
      ['entra:test', 'drush entra:test a b', 'Too many arguments to "entra:test" command, expected arguments "upn".'],
    ];
    foreach ($cases as [$command, $line, $message]) {
      try {
        Rules::invoke(self::method($command), $line);
        $this->fail($line . ' was accepted');
      }
      catch (\RuntimeException $e) {
        $this->assertSame($message, $e->getMessage(), $line);
      }
    }
  }

  /**
   * The rules reproduce what a real Drupal 11 site showed for the former
   * signature provision(array $names = [], array $options = [...]).
   */
  public function testTheRulesCatchAnArrayDefault(): void {
    $former = new class () {
      /**
       * @param list<string> $names
       * @param array<string, mixed> $options
       */
      #[CLI\Command(name: 'entra:provision')]
      #[CLI\Argument(name: 'names', description: 'Drupal usernames.')]
      #[CLI\Option(name: 'all', description: 'Every active account.')]
      public function provision(array $names = [], array $options = ['all' => FALSE, 'dry-run' => FALSE, 'chunk' => 2]): int {
        return 0;
      }
    };
    $method = new \ReflectionMethod($former, 'provision');
    $this->assertSame(['names' => ['mode' => Rules::ARGUMENT_REQUIRED, 'default' => NULL]], Rules::definition($method)['arguments'], '[] is read as an options array: names has no default');
    try {
      Rules::invoke($method, 'drush entra:provision --all');
      $this->fail('--all was accepted');
    }
    catch (\RuntimeException $e) {
      $this->assertSame('Not enough arguments (missing: "names").', $e->getMessage());
    }
    try {
      Rules::invoke($method, 'drush entra:provision bob');
      $this->fail('one name was accepted');
    }
    catch (\TypeError $e) {
      $this->assertStringContainsString('provision(): Argument #1 ($names) must be of type array, string given', $e->getMessage());
    }
  }

  public function testTheRulesOfTypesAndInjection(): void {
    $command = new class () {
      /**
       * @param array<string, mixed> $options
       */
      #[CLI\Command(name: 'x:count')]
      #[CLI\Usage(name: 'drush x:count 3')]
      public function count(\stdClass $injected, int $count, array $options = ['flag' => TRUE, 'level' => 4, 'tags' => []]): int {
        return $count;
      }
    };
    $method = new \ReflectionMethod($command, 'count');
    $definition = Rules::definition($method);
    $this->assertSame([\stdClass::class], $definition['injected'], 'a class-typed first parameter is injected, not an argument');
    $this->assertSame(['count'], array_keys($definition['arguments']));
    $this->assertSame(Rules::VALUE_OPTIONAL, $definition['options']['flag']['mode']);
    $this->assertSame(Rules::VALUE_NONE, $definition['options']['no-flag']['mode'], 'a true default adds --no-flag');
    $this->assertSame(Rules::VALUE_OPTIONAL, $definition['options']['level']['mode'], 'self::OPT (4) is VALUE_OPTIONAL, default null');
    $this->assertNull($definition['options']['level']['default']);
    $this->assertSame(Rules::VALUE_IS_ARRAY | Rules::VALUE_REQUIRED, $definition['options']['tags']['mode']);
    // Arguments arrive as strings: an int parameter gets '3'.
    try {
      Rules::invoke($method, 'drush x:count 3');
      $this->fail('a string reached an int parameter');
    }
    catch (\TypeError $e) {
      $this->assertStringContainsString('Argument #2 ($count) must be of type int, string given', $e->getMessage());
    }
    $args = Rules::callArguments($definition, Rules::parse($definition, ['x:count', '3', '--no-flag', '--tags=a', '--tags=b', '--level']));
    $this->assertNull($args[0], 'the injected instance');
    $this->assertSame('3', $args[1]);
    $this->assertFalse($args[2]['flag'], '--no-flag turns flag off');
    $this->assertSame(['a', 'b'], $args[2]['tags']);
    $this->assertTrue($args[2]['level'], 'a bare optional-value option is true');
  }

}
